-- Purpose: the parameter-free part of the per-customer scores (revenue percentile, days since the first
--   purchase, P(alive) of the previous run), built while the BG/NBD and Gamma-Gamma fits run in
--   JavaScript, so the scoring step after the fits (score_customers.sql) is a projection and one small join.
-- Grain: one row per customer in temp table clv_summary (queries/models/clv/summary.sql).
-- Inputs: temp table clv_summary; customer_value as it stands (the previous run) for P(alive) change.
-- Parameters: $as_of DATE (the calibration end).
with summary as (
  select * from clv_summary
),

previous as (
  select customer_id, p_alive as p_alive_previous from customer_value
)

select
  s.*,
  percent_rank() over (order by s.total_revenue) as value_percentile,
  date_diff('day', s.first_purchase_date, cast($as_of as date)) as days_since_first_purchase,
  pr.p_alive_previous
from summary as s
left join previous as pr on pr.customer_id = s.customer_id
