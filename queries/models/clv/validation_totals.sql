-- Purpose: error totals of a holdout validation: actual vs expected repeat purchases in calibration
--   and holdout, and per-customer error of the conditional expectation.
-- Grain: one row.
-- Inputs: temp tables clv_scores and clv_terms.
-- Parameters: none.
with joined as (
  select
    s.frequency,
    s.holdout_frequency,
    s.expected_holdout_purchases,
    t.expected_in_tenure,
    t.expected_in_holdout_unconditional
  from clv_scores as s
  inner join clv_terms as t on t.frequency = s.frequency and t.tenure = s.tenure
)

select
  count(*) as customers,
  cast(sum(frequency) as double) as calibration_actual,
  sum(expected_in_tenure) as calibration_expected_unconditional,
  cast(sum(holdout_frequency) as double) as holdout_actual,
  sum(expected_holdout_purchases) as holdout_expected_conditional,
  sum(expected_in_holdout_unconditional) as holdout_expected_unconditional,
  avg(abs(holdout_frequency - expected_holdout_purchases)) as holdout_mae,
  sqrt(avg((holdout_frequency - expected_holdout_purchases) ^ 2)) as holdout_rmse,
  corr(holdout_frequency, expected_holdout_purchases) as holdout_correlation
from joined
