-- Purpose: KPI campaign conversions: touches converted in the period vs the previous period.
-- Grain: one row.
-- Parameters: $from, $to, $prev_from, $prev_to (inclusive dates, by converted_at); $region, $rep (customer region and owner).
--   $segment (customers in the segment as of the latest segment run; null = all).
with scoped as (
  select t.converted_at
  from dash_campaign_touches($region, $rep, $segment) as t
  where t.converted_at >= cast($prev_from as date)
    and t.converted_at < cast($to as date) + 1
)
select
  count(*) filter (where converted_at >= cast($from as date)) as value,
  count(*) filter (where converted_at < cast($prev_to as date) + 1) as previous_value
from scoped
