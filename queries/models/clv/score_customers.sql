-- Purpose: per-customer BG/NBD + Gamma-Gamma scores: P(alive), expected purchases, expected spend,
--   discounted CLV, value percentile and churn-risk tier (worded by the churn_risk view, migration 103).
-- Grain: one row per customer in temp table clv_summary (queries/models/clv/summary.sql).
-- Inputs: temp table clv_terms (frequency, tenure → coef, horizon_factor, clv_factor, holdout_factor),
--   the ₂F₁ parts computed in TypeScript per distinct (frequency, tenure) (src/models/clv/predict.ts);
--   customer_value as it stands (the previous run) for P(alive) change.
-- Used as the SELECT of `create temp table clv_scores` (a validation run) or straight inside
--   `insert into customer_value` (src/models/clv/run.ts), before the previous run's rows are deleted.
-- Parameters: $r, $alpha, $a, $b (BG/NBD); $p, $q, $gamma (Gamma-Gamma; NULL = no spend model, the
--   customer's observed mean per purchase day is used); $as_of DATE; $run_id (this run); $high_value_percentile;
--   $p_alive_lost; $p_alive_alive; $falling_drop; $new_customer_days.
with summary as (
  select * from clv_summary
),

terms as (
  select * from clv_terms
),

previous as (
  -- the rows of earlier runs only: the run may insert its own rows into customer_value by this very query
  select customer_id, p_alive as p_alive_previous from customer_value where run_id <> $run_id
),

alive as (
  select
    s.*,
    -- P(alive) = 1 / (1 + a/(b+x−1) · ((α+T)/(α+tₓ))^(r+x)) for x > 0; the exponent is capped so exp cannot overflow.
    case
      when s.frequency = 0 then 1.0
      else 1.0 / (1.0 + exp(least(700.0,
        ln($a / ($b + s.frequency - 1)) + ($r + s.frequency) * ln(($alpha + s.tenure) / ($alpha + s.recency)))))
    end as p_alive,
    case
      when $p is null then s.total_revenue / (s.frequency + 1)
      else ($p * ($gamma + s.frequency * s.monetary_value)) / ($p * s.frequency + $q - 1)
    end as expected_mean_spend,
    percent_rank() over (order by s.total_revenue) as value_percentile,
    date_diff('day', s.first_purchase_date, cast($as_of as date)) as days_since_first_purchase
  from summary as s
),

scored as (
  select
    al.*,
    t.coef * t.horizon_factor * al.p_alive as expected_purchases,
    al.expected_mean_spend * t.coef * t.clv_factor * al.p_alive as clv,
    t.coef * t.holdout_factor * al.p_alive as expected_holdout_purchases,
    al.value_percentile >= $high_value_percentile as is_high_value,
    pr.p_alive_previous,
    al.p_alive - pr.p_alive_previous as p_alive_change
  from alive as al
  inner join terms as t on t.frequency = al.frequency and t.tenure = al.tenure
  left join previous as pr on pr.customer_id = al.customer_id
),

tiered as (
  select
    *,
    coalesce(p_alive_change <= -$falling_drop, false) as is_falling,
    case
      when frequency = 0 and days_since_first_purchase <= $new_customer_days then 'new'
      when frequency = 0 then 'one_time'
      when is_high_value and p_alive >= $p_alive_alive and not coalesce(p_alive_change <= -$falling_drop, false) then 'champion'
      when is_high_value and p_alive >= $p_alive_lost then 'at_risk'
      when is_high_value then 'lost_high_value'
      when p_alive >= $p_alive_alive and not coalesce(p_alive_change <= -$falling_drop, false) then 'active'
      when p_alive >= $p_alive_lost then 'slipping'
      else 'lost'
    end as churn_tier
  from scored
)

select
  customer_id,
  first_purchase_date,
  last_purchase_date,
  frequency,
  recency,
  tenure,
  monetary_value,
  total_revenue,
  holdout_frequency,
  p_alive,
  expected_purchases,
  expected_mean_spend,
  clv,
  expected_holdout_purchases,
  value_percentile,
  is_high_value,
  p_alive_previous,
  p_alive_change,
  is_falling,
  churn_tier
from tiered
