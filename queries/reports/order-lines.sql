-- Order-line facts for [$from, $to) from the base tables: lines of completed and returned orders with
-- their order's facts and the product's unit cost; over all time it also fills the report_order_lines mart.
-- Grain: one row per order line. Parameters: $from, $to (dates; half-open on ordered_at, UTC).
select
  l.order_id,
  l.line_no,
  o.customer_id,
  o.employee_id,
  o.campaign_id,
  coalesce(o.channel, '(none)') as sales_channel,
  o.ordered_at,
  o.status,
  l.product_id,
  l.quantity,
  l.line_amount,
  p.unit_cost
from order_lines as l
join orders as o on o.order_id = l.order_id
left join products as p on p.product_id = l.product_id
where o.ordered_at >= cast($from as timestamptz)
  and o.ordered_at < cast($to as timestamptz)
  and o.status in ('completed', 'returned');
