-- Purpose: revenue per period from completed orders (cancelled and returned orders excluded), with order and buyer counts;
--   periods without orders show as zero.
-- Grain: one row per period (day | week | month | quarter, weeks start on Monday) overlapping $from..$to;
--   period_end is the first day of the next period.
-- Parameters: $granularity; $from, $to (inclusive dates, UTC); $region (customer region); $rep (order's employee, else customer's owner).
--   $segment (customers in the segment as of the latest segment run; null = all).
with periods as (
  select period, period_end from dash_periods($granularity, $from, $to)
),
scoped as (
  select o.ordered_at, o.total_amount, o.customer_id
  from dash_orders($region, $rep, $segment) as o
  where o.status = 'completed'
    and o.ordered_at >= cast($from as date)
    and o.ordered_at < cast($to as date) + 1
),
per_period as (
  select
    cast(date_trunc($granularity, ordered_at) as date) as period,
    sum(total_amount) as revenue,
    count(*) as orders,
    count(distinct customer_id) as buyers
  from scoped
  group by 1
)
select
  p.period,
  p.period_end,
  coalesce(r.revenue, 0) as revenue,
  coalesce(r.orders, 0) as orders,
  coalesce(r.buyers, 0) as buyers,
  coalesce(r.revenue / nullif(r.orders, 0), 0) as average_order_value
from periods as p
left join per_period as r on r.period = p.period
order by p.period
