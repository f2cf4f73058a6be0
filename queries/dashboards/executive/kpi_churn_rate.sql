-- Purpose: KPI monthly subscription churn rate, pooled over the complete calendar months inside the period:
--   sum of subscriptions cancelled in month m that were active at its start / sum of subscriptions active at the start of m
--   (the same monthly definition as the churn model's churn_monthly). Previous period: the complete months inside $prev_from..$prev_to.
-- Grain: one row.
-- Parameters: $from, $to, $prev_from, $prev_to (inclusive dates); $region, $rep (the customer's region and owner).
--   $segment (customers in the segment as of the latest segment run; null = all).
with months as (
  select cast(m as date) as month_start, 'current' as period
  from generate_series(date_trunc('month', cast($from as date) + interval 1 month - interval 1 day), cast($to as date) + 1 - interval 1 month, interval 1 month) as t(m)
  union all
  select cast(m as date), 'previous'
  from generate_series(date_trunc('month', cast($prev_from as date) + interval 1 month - interval 1 day), cast($prev_to as date) + 1 - interval 1 month, interval 1 month) as t(m)
),
subs as (
  select s.started_at, s.cancelled_at
  from dash_subscriptions($region, $rep, $segment) as s
),
per_month as (
  select
    m.period,
    count(*) filter (where s.started_at < m.month_start and (s.cancelled_at is null or s.cancelled_at >= m.month_start)) as active_start,
    count(*) filter (where s.started_at < m.month_start and s.cancelled_at >= m.month_start and s.cancelled_at < m.month_start + interval 1 month) as churned
  from months as m
  cross join subs as s
  group by m.period, m.month_start
)
select
  sum(churned) filter (where period = 'current') / nullif(sum(active_start) filter (where period = 'current'), 0) as value,
  sum(churned) filter (where period = 'previous') / nullif(sum(active_start) filter (where period = 'previous'), 0) as previous_value
from per_month
