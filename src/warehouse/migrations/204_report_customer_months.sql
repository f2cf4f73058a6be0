-- 204_report_customer_months: completed orders (with lines) summed per customer and UTC calendar month,
-- a mart of report_orders built with it by `crm models run reports` (src/models/reports/marts.ts). The
-- customer-profitability report reads whole months of its range here and the partial months at its ends
-- from report_orders: fewer rows to sum per customer. Read only while report_marts says it is current.
-- Grain: one row per customer per month with a completed order that has lines.
create table report_customer_months (
  customer_id bigint not null,
  month date not null, -- first day of the UTC month
  sales integer not null, -- completed orders with lines
  -- DECIMAL(18, 2) like the order amounts (a customer's month fits): DECIMAL(38, 2) is stored as 128-bit
  -- integers, and scanning it measured ~50x slower.
  line_amount decimal(18, 2),
  cogs decimal(18, 2),
  lines_without_cost integer not null
);
