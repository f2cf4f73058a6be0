-- Sales facts at order-line grain, for group-bys by product or category: lines of completed and
-- returned orders placed in [$from, $to). Returned units are lines with a negative quantity and amount.
-- Grain: one row per order line. amount = line_amount; units = quantity.
-- Parameters: $from, $to (dates; half-open range on ordered_at, UTC).
select
  o.order_id,
  o.customer_id,
  o.employee_id,
  o.campaign_id,
  coalesce(o.channel, '(none)') as sales_channel,
  o.ordered_at as at,
  o.status,
  l.product_id,
  l.line_amount as amount,
  l.quantity as units
from order_lines as l
join orders as o on o.order_id = l.order_id
where o.ordered_at >= cast($from as timestamptz)
  and o.ordered_at < cast($to as timestamptz)
  and o.status in ('completed', 'returned');
