-- Purpose: what the CLV summary left out, so a run can say so (returns, cancelled orders, customers
--   first seen after the window).
-- Grain: one row.
-- Parameters: $calibration_end DATE (inclusive).
with orders_by_day as (
  select
    customer_id,
    status,
    total_amount,
    cast(ordered_at as date) as order_day,
    status = 'completed' and total_amount >= 0 as is_purchase
  from orders
),

order_counts as (
  select
    count(*) filter (where order_day <= cast($calibration_end as date)) as orders_in_window,
    count(*) filter (where order_day <= cast($calibration_end as date) and is_purchase) as purchase_orders,
    count(*) filter (where order_day <= cast($calibration_end as date) and is_purchase and total_amount = 0) as zero_value_orders,
    count(*) filter (
      where order_day <= cast($calibration_end as date) and (status = 'returned' or (status = 'completed' and total_amount < 0))
    ) as return_orders,
    count(*) filter (where order_day <= cast($calibration_end as date) and status in ('cancelled', 'pending')) as cancelled_or_pending_orders
  from orders_by_day
),

first_purchases as (
  select customer_id, min(order_day) as first_day
  from orders_by_day
  where is_purchase
  group by customer_id
),

customer_counts as (
  select
    count(*) filter (where first_day > cast($calibration_end as date)) as customers_after_window,
    min(first_day) as first_purchase_day
  from first_purchases
)

select * from order_counts cross join customer_counts
