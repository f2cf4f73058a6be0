-- Order-line facts for [$from, $to) from the report_order_lines mart (same columns as order-lines.sql).
-- Grain: one row per order line. Parameters: $from, $to (dates; half-open on ordered_at, UTC).
select *
from report_order_lines
where ordered_at >= cast($from as timestamptz)
  and ordered_at < cast($to as timestamptz);
