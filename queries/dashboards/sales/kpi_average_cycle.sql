-- Purpose: KPI average sales cycle: days from creation to close of the deals won in the period vs the previous period.
-- Grain: one row.
-- Parameters: $from, $to, $prev_from, $prev_to (inclusive dates, by closed_at); $region; $rep (deal owner).
--   $segment (customers in the segment as of the latest segment run; null = all).
with won as (
  select d.closed_at, (epoch_us(d.closed_at) - epoch_us(d.created_at)) / 86400e6 as days
  from dash_deals($region, $rep, $segment) as d
  where d.status = 'won'
    and d.closed_at >= cast($prev_from as date)
    and d.closed_at < cast($to as date) + 1
)
select
  avg(days) filter (where closed_at >= cast($from as date)) as value,
  avg(days) filter (where closed_at < cast($prev_to as date) + 1) as previous_value
from won
