-- Purpose: first response and resolution times in hours per period (of opening): median and 90th percentile,
--   over the tickets that got a response / were resolved.
-- Grain: one row per period × measure (first_response | resolution) with data.
-- Parameters: $granularity; $from, $to (inclusive dates, by opened_at); $region (customer region); $rep (ticket's employee).
--   $segment (customers in the segment as of the latest segment run; null = all).
with scoped as (
  select
    cast(date_trunc($granularity, t.opened_at) as date) as period,
    (epoch_us(t.first_response_at) - epoch_us(t.opened_at)) / 3600e6 as response_hours,
    (epoch_us(t.resolved_at) - epoch_us(t.opened_at)) / 3600e6 as resolution_hours
  from dash_tickets($region, $rep, $segment) as t
  where t.opened_at >= cast($from as date)
    and t.opened_at < cast($to as date) + 1
),
measures as (
  select period, 'first_response' as measure, response_hours as hours from scoped where response_hours is not null
  union all
  select period, 'resolution', resolution_hours from scoped where resolution_hours is not null
)
select
  period,
  measure,
  count(*) as tickets,
  quantile_cont(hours, 0.5) as median_hours,
  quantile_cont(hours, 0.9) as p90_hours
from measures
group by period, measure
order by period, measure
