-- Purpose: customer satisfaction (1..5) of the tickets opened in $from..$to, by ticket category: average score,
--   share satisfied (4 or 5), and how many tickets were rated.
-- Grain: one row per category with rated tickets.
-- Parameters: $from, $to (inclusive dates, by opened_at); $region (customer region); $rep (ticket's employee).
--   $segment (customers in the segment as of the latest segment run; null = all).
select
  coalesce(t.category, 'uncategorised') as category,
  count(t.satisfaction) as rated_tickets,
  avg(t.satisfaction) as average_satisfaction,
  count(*) filter (where t.satisfaction >= 4) / count(t.satisfaction) as share_satisfied
from dash_tickets($region, $rep, $segment) as t
where t.satisfaction is not null
  and t.opened_at >= cast($from as date)
  and t.opened_at < cast($to as date) + 1
group by all
order by average_satisfaction desc, category
