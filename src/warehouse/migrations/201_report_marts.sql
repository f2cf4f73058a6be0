-- 201_report_marts: denormalised tables the reports read instead of joining millions of rows per request
-- (issue 4). Built by `crm models run reports` (src/models/reports/marts.ts); a report uses a mart only
-- while its data_version matches the warehouse's, and otherwise computes from the base tables.

-- One row per mart: the warehouse data_version it was built from.
create table report_marts (
  name varchar not null,
  data_version bigint not null,
  built_at timestamptz not null,
  row_count bigint not null,
  duration_ms bigint
);

-- Order lines of completed and returned orders with their order's facts and the product's unit cost,
-- sorted by ordered_at so that date ranges read only their part. Grain: one row per order line.
create table report_order_lines (
  order_id varchar not null,
  line_no integer not null,
  customer_id bigint not null,
  employee_id varchar,
  campaign_id varchar,
  sales_channel varchar not null,
  ordered_at timestamptz not null,
  status varchar not null,
  product_id varchar not null,
  quantity integer not null,
  line_amount decimal(18, 2) not null,
  unit_cost decimal(18, 2)
);
