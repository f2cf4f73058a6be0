-- Purpose: win rate per period: deals won / deals closed (won or lost) in the period; periods without closed deals have no rate.
-- Grain: one row per period overlapping $from..$to; period_end is the first day of the next period.
-- Parameters: $granularity; $from, $to (inclusive dates, by closed_at); $region (customer's, else account's region); $rep (deal owner).
--   $segment (customers in the segment as of the latest segment run; null = all).
with periods as (
  select period, period_end from dash_periods($granularity, $from, $to)
),
closed as (
  select cast(date_trunc($granularity, d.closed_at) as date) as period, d.status
  from dash_deals($region, $rep, $segment) as d
  where d.status in ('won', 'lost')
    and d.closed_at >= cast($from as date)
    and d.closed_at < cast($to as date) + 1
)
select
  p.period,
  p.period_end,
  count(c.status) as deals_closed,
  count(*) filter (where c.status = 'won') as deals_won,
  count(*) filter (where c.status = 'won') / nullif(count(c.status), 0) as win_rate
from periods as p
left join closed as c on c.period = p.period
group by p.period, p.period_end
order by p.period
