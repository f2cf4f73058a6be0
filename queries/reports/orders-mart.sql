-- Order facts for [$from, $to) from the report_orders mart: completed and returned orders with their
-- lines summed (same rows as sales-orders.sql, plus day, lines, line_amount, cogs, lines_without_cost).
-- Grain: one row per order. Parameters: $from, $to (dates; half-open on ordered_at, UTC).
select *
from report_orders
where ordered_at >= cast($from as timestamptz)
  and ordered_at < cast($to as timestamptz);
