-- Purpose: today's backlog: tickets not yet resolved or closed, opened in $from..$to, by age and priority.
--   Age is counted to the last ticket opened in the warehouse (so a historical demo export does not age forever).
-- Grain: one row per age band × priority with open tickets.
-- Parameters: $from, $to (inclusive dates, by opened_at); $region (customer region); $rep (ticket's employee).
--   $segment (customers in the segment as of the latest segment run; null = all).
with reference as (
  select max(opened_at) as latest from tickets
),
open_tickets as (
  select
    coalesce(t.priority, 'unknown') as priority,
    (epoch_us((select latest from reference)) - epoch_us(t.opened_at)) / 86400e6 as age_days
  from dash_tickets($region, $rep, $segment) as t
  where t.resolved_at is null
    and coalesce(t.status, 'open') not in ('resolved', 'closed')
    and t.opened_at >= cast($from as date)
    and t.opened_at < cast($to as date) + 1
)
select
  case when age_days < 1 then '1: under 1 day'
       when age_days < 7 then '2: 1–7 days'
       when age_days < 30 then '3: 7–30 days'
       else '4: 30+ days' end as age_band,
  priority,
  count(*) as tickets
from open_tickets
group by all
order by age_band, priority
