-- Purpose: KPI revenue: completed orders' total_amount (cancelled and returned orders excluded), this period vs the previous one.
-- Grain: one row.
-- Parameters: $from, $to, $prev_from, $prev_to (inclusive dates, UTC); $region (customer region, null = all);
--   $rep (the order's employee, else the customer's owner; null = all).
--   $segment (customers in the segment as of the latest segment run; null = all).
with scoped as (
  select o.ordered_at, o.total_amount
  from dash_orders($region, $rep, $segment) as o
  where o.status = 'completed'
    and o.ordered_at >= cast($prev_from as date)
    and o.ordered_at < cast($to as date) + 1
)
select
  coalesce(sum(total_amount) filter (where ordered_at >= cast($from as date) and ordered_at < cast($to as date) + 1), 0) as value,
  coalesce(sum(total_amount) filter (where ordered_at >= cast($prev_from as date) and ordered_at < cast($prev_to as date) + 1), 0) as previous_value
from scoped
