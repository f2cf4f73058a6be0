-- Purpose: what the CLV summary left out or treated specially, so a run can say so.
-- Grain: one row.
-- Parameters: $calibration_end DATE (inclusive).
with orders_in_window as (
  select status, total_amount
  from orders
  where cast(ordered_at as date) <= cast($calibration_end as date)
),

order_counts as (
  select
    count(*) as orders_in_window,
    count(*) filter (where status in ('completed', 'returned') and total_amount >= 0) as purchase_orders,
    count(*) filter (where status = 'completed' and total_amount = 0) as zero_value_orders,
    count(*) filter (where status = 'returned' and total_amount >= 0) as returned_orders,
    count(*) filter (where total_amount < 0) as negative_total_orders,
    count(*) filter (where status in ('cancelled', 'pending')) as cancelled_or_pending_orders
  from orders_in_window
),

first_purchases as (
  select customer_id, min(purchase_day) as first_day
  from model_purchases
  group by customer_id
),

customer_counts as (
  select
    count(*) filter (where first_day > cast($calibration_end as date)) as customers_after_window,
    min(first_day) as first_purchase_day
  from first_purchases
)

select * from order_counts cross join customer_counts
