-- Monthly revenue for the time-series forecast: completed orders (by ordered_at) plus closed-won deals
-- (by closed_at), each included when its flag is set, for every month from the first complete month
-- with revenue (a month the data starts in after its first day is partial and left out) or $start when
-- given, to the month before $end. Months without revenue are 0.
-- Orders come summed per UTC day from `order_days_input` (order-days.sql or, while the report marts are
-- current, order-days-mart.sql), which the caller defines around this statement.
-- make_timestamp(epoch_us(x)) reads an instant as a UTC TIMESTAMP without ICU (same result: every
-- connection runs in UTC; much faster on millions of orders).
-- Grain: one row per calendar month (UTC). Parameters: $start (date or null), $end (first day of the
-- first month NOT included: the as-of month), $orders, $deals (booleans).
with order_days as (
  select day, amount
  from order_days_input
  where $orders
),

deal_days as (
  select cast(make_timestamp(epoch_us(d.closed_at)) as date) as day, d.amount
  from deals as d
  where $deals and d.status = 'won' and d.closed_at is not null and d.closed_at < cast($end as timestamptz)
),

order_months as (
  select cast(date_trunc('month', day) as date) as month, sum(amount) as amount, min(day) as first_day
  from order_days
  group by 1
),

deal_months as (
  select cast(date_trunc('month', day) as date) as month, sum(amount) as amount, min(day) as first_day
  from deal_days
  group by 1
),

first_day as (
  select least((select min(first_day) from order_months), (select min(first_day) from deal_months)) as day
),

bounds as (
  select
    coalesce(
      cast($start as date),
      case when f.day = cast(date_trunc('month', f.day) as date) then f.day
        else cast(date_trunc('month', f.day) + interval 1 month as date) end
    ) as first_month,
    cast($end as date) as end_month
  from first_day as f
),

months as (
  select cast(unnest(range(cast(first_month as timestamp), cast(end_month as timestamp), interval 1 month)) as date) as month
  from bounds
  where first_month is not null and first_month < end_month
)

select
  m.month,
  coalesce(o.amount, 0) as orders_revenue,
  coalesce(d.amount, 0) as deals_revenue,
  coalesce(o.amount, 0) + coalesce(d.amount, 0) as revenue
from months as m
left join order_months as o on o.month = m.month
left join deal_months as d on d.month = m.month
order by m.month;
