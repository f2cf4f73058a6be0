-- Builds report_order_lines: the order lines of completed and returned orders with their order's facts
-- and the product's unit cost, sorted by ordered_at (zone maps then skip what a date range excludes).
-- Grain: one row per order line. Parameters: none. Run inside the refresh transaction after a delete.
insert into report_order_lines
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
where o.status in ('completed', 'returned')
order by o.ordered_at, l.order_id, l.line_no;
