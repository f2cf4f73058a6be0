-- Order facts for [$from, $to) from the base tables, the same columns as report_orders (used while that
-- mart is stale): completed and returned orders with their lines (and the products' unit costs) summed.
-- Grain: one row per order. Parameters: $from, $to (dates; half-open on ordered_at, UTC).
with o as (
  select
    o.order_id, o.customer_id, o.employee_id, o.campaign_id, coalesce(o.channel, '(none)') as sales_channel,
    o.ordered_at, o.status, o.total_amount as amount, coalesce(o.item_count, 0) as units
  from orders as o
  where o.ordered_at >= cast($from as timestamptz)
    and o.ordered_at < cast($to as timestamptz)
    and o.status in ('completed', 'returned')
),

l as (
  select l.order_id, count(*) as lines, sum(l.line_amount) as line_amount, sum(l.quantity * p.unit_cost) as cogs,
    count(*) filter (where p.unit_cost is null) as lines_without_cost
  from order_lines as l
  join o on o.order_id = l.order_id
  left join products as p on p.product_id = l.product_id
  group by l.order_id
)

select
  o.order_id, o.customer_id, o.employee_id, o.campaign_id, o.sales_channel, o.ordered_at,
  cast(make_timestamp(epoch_us(o.ordered_at)) as date) as day, o.status, o.amount, o.units,
  coalesce(l.lines, 0) as lines, l.line_amount, l.cogs, coalesce(l.lines_without_cost, 0) as lines_without_cost
from o
left join l on l.order_id = o.order_id;
