-- Purpose: what the CLV summary left out or treated specially, so a run can say so.
-- Grain: one row.
-- Parameters: $calibration_end DATE (inclusive).
select
  count(*) as orders_in_window,
  count(*) filter (where status in ('completed', 'returned') and total_amount >= 0) as purchase_orders,
  count(*) filter (where status = 'completed' and total_amount = 0) as zero_value_orders,
  count(*) filter (where status = 'returned' and total_amount >= 0) as returned_orders,
  count(*) filter (where total_amount < 0) as negative_total_orders,
  count(*) filter (where status in ('cancelled', 'pending')) as cancelled_or_pending_orders
from orders
where ordered_at < cast(cast($calibration_end as date) + interval 1 day as timestamptz)
