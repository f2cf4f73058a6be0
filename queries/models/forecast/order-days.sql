-- Completed orders' revenue per UTC day from the base tables, before $end (the monthly revenue series'
-- input while the report_order_days mart is stale). make_timestamp(epoch_us(x)) reads an instant as a UTC
-- TIMESTAMP without ICU (same result: every connection runs in UTC; much faster on millions of orders).
-- Grain: one row per day with a completed order. Parameters: $end (date, exclusive).
select cast(make_timestamp(epoch_us(o.ordered_at)) as date) as day, sum(o.total_amount) as amount
from orders as o
where o.status = 'completed' and o.ordered_at < cast($end as timestamptz)
group by 1;
