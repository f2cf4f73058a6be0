-- Purpose: KPI new pipeline: amount of the deals created in the period (whatever their status now) vs the previous period.
-- Grain: one row.
-- Parameters: $from, $to, $prev_from, $prev_to (inclusive dates, by created_at); $region; $rep (deal owner).
--   $segment (customers in the segment as of the latest segment run; null = all).
with created as (
  select d.created_at, d.amount
  from dash_deals($region, $rep, $segment) as d
  where d.created_at >= cast($prev_from as date)
    and d.created_at < cast($to as date) + 1
)
select
  coalesce(sum(amount) filter (where created_at >= cast($from as date)), 0) as value,
  coalesce(sum(amount) filter (where created_at < cast($prev_to as date) + 1), 0) as previous_value
from created
