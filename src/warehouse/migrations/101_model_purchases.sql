-- 101_model_purchases: the one definition of "a purchase" for the customer-value models (clv, retention).
-- A purchase is an order with status 'completed' or 'returned' and a total >= 0: a returned order was
-- still bought (the customer was active), so it counts as a purchase event; its value is net of the
-- refund recorded as negative order lines (with no such lines, a returned order is taken as fully
-- refunded and is worth 0). Orders with a negative total (refund records) and cancelled or pending
-- orders are not purchases. Zero-value completed orders are purchases worth 0.
create view model_purchases as
with refunds as (
  select l.order_id, sum(l.line_amount) as refunded
  from order_lines as l
  where l.line_amount < 0
    and l.order_id in (select order_id from orders where status = 'returned')
  group by l.order_id
)

select
  o.order_id,
  o.customer_id,
  o.ordered_at,
  cast(o.ordered_at as date) as purchase_day,
  o.status,
  o.total_amount,
  o.total_amount as net_amount
from orders as o
where o.status = 'completed' and o.total_amount >= 0

union all

select
  o.order_id,
  o.customer_id,
  o.ordered_at,
  cast(o.ordered_at as date) as purchase_day,
  o.status,
  o.total_amount,
  greatest(0, o.total_amount + coalesce(r.refunded, -o.total_amount)) as net_amount
from orders as o
left join refunds as r on r.order_id = o.order_id
where o.status = 'returned' and o.total_amount >= 0;
