-- Purpose: KPI won deal amount: deals won with closed_at in the period vs the previous period.
-- Grain: one row.
-- Parameters: $from, $to, $prev_from, $prev_to (inclusive dates); $region (customer's, else account's region); $rep (deal owner).
--   $segment (customers in the segment as of the latest segment run; null = all).
with won as (
  select d.closed_at, d.amount
  from dash_deals($region, $rep, $segment) as d
  where d.status = 'won'
    and d.closed_at >= cast($prev_from as date)
    and d.closed_at < cast($to as date) + 1
)
select
  coalesce(sum(amount) filter (where closed_at >= cast($from as date)), 0) as value,
  coalesce(sum(amount) filter (where closed_at < cast($prev_to as date) + 1), 0) as previous_value
from won
