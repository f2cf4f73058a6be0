-- Purpose: KPI new customers: customers acquired (acquired_at, else created_at) in the period vs the previous one.
-- Grain: one row.
-- Parameters: $from, $to, $prev_from, $prev_to (inclusive dates, UTC); $region; $rep (the customer's owner).
--   $segment (customers in the segment as of the latest segment run; null = all).
with scoped as (
  select coalesce(acquired_at, created_at) as acquired
  from dash_customers($region, $rep, $segment)
  where coalesce(acquired_at, created_at) >= cast($prev_from as date)
    and coalesce(acquired_at, created_at) < cast($to as date) + 1
)
select
  count(*) filter (where acquired >= cast($from as date) and acquired < cast($to as date) + 1) as value,
  count(*) filter (where acquired >= cast($prev_from as date) and acquired < cast($prev_to as date) + 1) as previous_value
from scoped
