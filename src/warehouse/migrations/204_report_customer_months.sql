-- 204_report_customer_months: completed orders (with lines) summed per customer and UTC calendar month,
-- a mart of report_orders built with it by `crm models run reports` (src/models/reports/marts.ts). The
-- customer-profitability report reads whole months of its range here and the partial months at its ends
-- from report_orders: fewer rows to sum per customer. Read only while report_marts says it is current.
-- Grain: one row per customer per month with a completed order that has lines.
create table report_customer_months (
  customer_id bigint not null,
  month date not null, -- first day of the UTC month
  sales bigint not null, -- completed orders with lines
  line_amount decimal(38, 2),
  cogs decimal(38, 2),
  lines_without_cost bigint not null
);
