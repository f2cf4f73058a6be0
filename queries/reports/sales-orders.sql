-- Sales facts at order grain: completed and returned orders placed in [$from, $to).
-- Grain: one row per order. amount = the order's total_amount.
-- Parameters: $from, $to (dates; half-open range on ordered_at, UTC).
select
  o.order_id,
  o.customer_id,
  o.employee_id,
  o.campaign_id,
  coalesce(o.channel, '(none)') as sales_channel,
  o.ordered_at as at,
  o.status,
  o.total_amount as amount,
  coalesce(o.item_count, 0) as units
from orders as o
where o.ordered_at >= cast($from as timestamptz)
  and o.ordered_at < cast($to as timestamptz)
  and o.status in ('completed', 'returned');
