-- Purpose: rep leaderboard over the deals closed in $from..$to: won amount, deals won and lost, win rate, average won deal.
-- Grain: one row per deal owner with a deal closed in the range.
-- Parameters: $from, $to (inclusive dates, by closed_at); $region (customer's, else account's region); $rep (deal owner).
--   $segment (customers in the segment as of the latest segment run; null = all).
with closed as (
  select d.owner_id, d.status, d.amount
  from dash_deals($region, $rep, $segment) as d
  where d.status in ('won', 'lost')
    and d.owner_id is not null
    and d.closed_at >= cast($from as date)
    and d.closed_at < cast($to as date) + 1
)
select
  c.owner_id as rep_id,
  coalesce(e.name, c.owner_id) as rep,
  e.team,
  coalesce(sum(c.amount) filter (where c.status = 'won'), 0) as won_amount,
  count(*) filter (where c.status = 'won') as deals_won,
  count(*) filter (where c.status = 'lost') as deals_lost,
  count(*) filter (where c.status = 'won') / count(*) as win_rate,
  avg(c.amount) filter (where c.status = 'won') as average_won_deal
from closed as c
left join employees as e on e.employee_id = c.owner_id
group by c.owner_id, e.name, e.team
order by won_amount desc, rep
limit 25
