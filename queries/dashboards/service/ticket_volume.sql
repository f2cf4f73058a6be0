-- Purpose: tickets opened per period by priority; periods without tickets show as zero.
-- Grain: one row per period × priority (low | normal | high | urgent, else 'unknown'); period_end is the first day
--   of the next period.
-- Parameters: $granularity; $from, $to (inclusive dates, by opened_at); $region (customer region); $rep (ticket's employee).
--   $segment (customers in the segment as of the latest segment run; null = all).
with periods as (
  select period, period_end from dash_periods($granularity, $from, $to)
),
scoped as (
  select cast(date_trunc($granularity, t.opened_at) as date) as period, coalesce(t.priority, 'unknown') as priority
  from dash_tickets($region, $rep, $segment) as t
  where t.opened_at >= cast($from as date)
    and t.opened_at < cast($to as date) + 1
),
priorities as (
  select distinct priority from scoped
)
select
  p.period,
  p.period_end,
  pr.priority,
  count(s.period) as tickets
from periods as p
cross join priorities as pr
left join scoped as s on s.period = p.period and s.priority = pr.priority
group by p.period, p.period_end, pr.priority
order by p.period, pr.priority
