-- Purpose: holdout validation — mean actual vs BG/NBD-expected purchases in the holdout window,
--   by calibration frequency 0..6 and 7+ (Fader, Hardie & Lee 2005, fig. 4 / BTYD walkthrough).
-- Grain: one row per frequency bucket.
-- Inputs: temp table clv_scores (queries/models/clv/score_customers.sql).
-- Parameters: none.
with buckets as (
  select
    least(frequency, 7) as bucket_order,
    holdout_frequency,
    expected_holdout_purchases
  from clv_scores
)

select
  case when bucket_order = 7 then '7+' else cast(bucket_order as varchar) end as frequency_bucket,
  bucket_order,
  count(*) as customers,
  avg(holdout_frequency) as actual_mean,
  avg(expected_holdout_purchases) as expected_mean,
  cast(sum(holdout_frequency) as double) as actual_total,
  sum(expected_holdout_purchases) as expected_total
from buckets
group by bucket_order
order by bucket_order
