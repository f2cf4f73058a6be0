-- Purpose: churn_risk rows of a clv run — each customer's tier with the reason in words.
-- Grain: one row per customer in temp table clv_scores (queries/models/clv/score_customers.sql).
-- Parameters: $run_id, $as_of DATE.
-- Numbers in the reason are whole percents and days (formatting integers is cheap; doubles are not).
select
  $run_id as run_id,
  cast($as_of as date) as as_of_date,
  customer_id,
  churn_tier as tier,
  is_high_value,
  p_alive,
  p_alive_previous,
  p_alive_change,
  total_revenue,
  value_percentile,
  clv,
  days_since_last_purchase,
  case churn_tier
    when 'new' then 'first purchase ' || days_since_first_purchase || ' days ago, no repeat purchase yet'
    when 'one_time' then 'one purchase, ' || days_since_first_purchase || ' days ago'
    else 'P(alive) ' || cast(round(100 * p_alive) as integer) || '%'
      || case when is_falling then ', down ' || cast(round(-100 * p_alive_change) as integer) || ' points since the previous run' else '' end
      || '; ' || case when is_high_value then 'high value' else 'not high value' end
      || ' (revenue percentile ' || cast(round(100 * value_percentile) as integer) || '); last purchase '
      || days_since_last_purchase || ' days ago'
  end as reason
from clv_scores
