-- Purpose: KPI average sales cycle: days from creation to close of the deals won in the period vs the previous period.
-- Grain: one row.
-- Parameters: $from, $to, $prev_from, $prev_to (inclusive dates, by closed_at); $region; $rep (deal owner).
--   $segment (customers in the segment as of the latest segment run; null = all).
with won as (
  select d.closed_at, epoch(d.closed_at - d.created_at) / 86400.0 as days
  from deals as d
  left join customers as c on c.customer_id = d.customer_id
  left join accounts as a on a.account_id = d.account_id
  where d.status = 'won'
    and d.closed_at >= cast($prev_from as date)
    and d.closed_at < cast($to as date) + 1
    and ($region is null or coalesce(c.region, a.region) = $region)
    and ($rep is null or d.owner_id = $rep)
    and ($segment is null or d.customer_id in (select customer_id from dash_segment_members($segment)))
)
select
  avg(days) filter (where closed_at >= cast($from as date)) as value,
  avg(days) filter (where closed_at < cast($prev_to as date) + 1) as previous_value
from won
