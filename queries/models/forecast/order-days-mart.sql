-- Completed orders' revenue per UTC day before $end, from the report_order_days mart (same rows as
-- order-days.sql while the mart is current).
-- Grain: one row per day with a completed order. Parameters: $end (date, exclusive).
select day, amount
from report_order_days
where day < cast($end as date);
