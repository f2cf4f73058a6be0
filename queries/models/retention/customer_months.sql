-- Purpose: net revenue per customer per calendar month, for cohort and lifecycle analysis.
-- Grain: one row per customer per month with at least one purchase (model_purchases) in it.
-- Parameters: $as_of DATE (inclusive).
-- Revenue: purchases net of refund lines (model_purchases.net_amount), minus refund records (orders with
--   a negative total) dated in that month. A month with only a refund record is not an active month.
with purchases as (
  select customer_id, cast(date_trunc('month', purchase_day) as date) as month, net_amount
  from model_purchases
  where purchase_day <= cast($as_of as date)
),

refund_records as (
  select customer_id, cast(date_trunc('month', cast(ordered_at as date)) as date) as month, sum(total_amount) as refunded
  from orders
  where total_amount < 0
    and status in ('completed', 'returned')
    and cast(ordered_at as date) <= cast($as_of as date)
  group by all
),

active_months as (
  select customer_id, month, sum(net_amount) as purchase_revenue
  from purchases
  group by all
)

select
  a.customer_id,
  a.month,
  cast(a.purchase_revenue + coalesce(r.refunded, 0) as double) as revenue
from active_months as a
left join refund_records as r on r.customer_id = a.customer_id and r.month = a.month
