-- Purpose: KPI average satisfaction (1..5) of the rated tickets opened in the period vs the previous period.
-- Grain: one row.
-- Parameters: $from, $to, $prev_from, $prev_to (inclusive dates, by opened_at); $region (customer region); $rep (ticket's employee).
--   $segment (customers in the segment as of the latest segment run; null = all).
with scoped as (
  select t.opened_at, t.satisfaction
  from dash_tickets($region, $rep, $segment) as t
  where t.satisfaction is not null
    and t.opened_at >= cast($prev_from as date)
    and t.opened_at < cast($to as date) + 1
)
select
  avg(satisfaction) filter (where opened_at >= cast($from as date)) as value,
  avg(satisfaction) filter (where opened_at < cast($prev_to as date) + 1) as previous_value
from scoped
