-- 203_report_order_days: completed orders summed per UTC day, a mart of report_orders built with it by
-- `crm models run reports` (src/models/reports/marts.ts), for the monthly revenue series of the revenue
-- forecast (every month of history on each request). Read only while report_marts says it is current.
-- Grain: one row per UTC day with a completed order.
create table report_order_days (
  day date not null,
  orders bigint not null,
  amount decimal(38, 2) not null -- sum of total_amount
);
