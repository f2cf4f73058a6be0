-- Purpose: KPI median resolution time in hours of the tickets opened in the period (and resolved) vs the previous period.
-- Grain: one row.
-- Parameters: $from, $to, $prev_from, $prev_to (inclusive dates, by opened_at); $region (customer region); $rep (ticket's employee).
--   $segment (customers in the segment as of the latest segment run; null = all).
with scoped as (
  select t.opened_at, (epoch_us(t.resolved_at) - epoch_us(t.opened_at)) / 3600e6 as hours
  from dash_tickets($region, $rep, $segment) as t
  where t.resolved_at is not null
    and t.opened_at >= cast($prev_from as date)
    and t.opened_at < cast($to as date) + 1
)
select
  quantile_cont(hours, 0.5) filter (where opened_at >= cast($from as date)) as value,
  quantile_cont(hours, 0.5) filter (where opened_at < cast($prev_to as date) + 1) as previous_value
from scoped
