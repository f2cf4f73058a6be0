-- Purpose: KPI new pipeline: amount of the deals created in the period (whatever their status now) vs the previous period.
-- Grain: one row.
-- Parameters: $from, $to, $prev_from, $prev_to (inclusive dates, by created_at); $region; $rep (deal owner).
--   $segment (customers in the segment as of the latest segment run; null = all).
with created as (
  select d.created_at, d.amount
  from deals as d
  left join customers as c on c.customer_id = d.customer_id
  left join accounts as a on a.account_id = d.account_id
  where d.created_at >= cast($prev_from as date)
    and d.created_at < cast($to as date) + 1
    and ($region is null or coalesce(c.region, a.region) = $region)
    and ($rep is null or d.owner_id = $rep)
    and ($segment is null or d.customer_id in (select customer_id from dash_segment_members($segment)))
)
select
  coalesce(sum(amount) filter (where created_at >= cast($from as date)), 0) as value,
  coalesce(sum(amount) filter (where created_at < cast($prev_to as date) + 1), 0) as previous_value
from created
