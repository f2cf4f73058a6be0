-- 202_report_marts_fast: report marts that make the management reports answer in under a second at
-- 1M customers (issue 4). The order-line mart is recreated with the UTC day and "first line of the
-- order (per product / product name / category)" flags, so that orders can be counted at line grain
-- without count(distinct order_id); report_orders holds one row per completed or returned order with
-- its lines' revenue and cost of goods; report_marts records the customer-id range of the data a mart
-- was built from (exact distinct customer counts as bitmaps over that range).
-- Existing marts are dropped (report_marts with them): reports use the base tables until
-- the next `crm models run reports`.

drop table report_marts;

-- One row per mart: the warehouse data_version it was built from, and the customer-id range then.
create table report_marts (
  name varchar not null,
  data_version bigint not null,
  built_at timestamptz not null,
  row_count bigint not null,
  duration_ms bigint,
  customer_id_min bigint, -- the smallest customer id in any table the reports read (customer-id-range.sql)
  customer_id_max bigint
);

drop table report_order_lines;

-- Grain: one row per line of a completed or returned order (the rows of queries/reports/order-lines.sql),
-- sorted by ordered_at.
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
  unit_cost decimal(18, 2),
  day date not null, -- ordered_at's UTC day
  first_in_order boolean not null, -- the order's first line (lowest line_no)
  first_in_product boolean not null, -- the order's first line of this product_id
  first_in_product_name boolean not null, -- … of this product name (coalesce(name, product_id))
  first_in_category boolean not null -- … of this category (coalesce(category, '(none)'))
);

-- Grain: one row per completed or returned order (the rows of queries/reports/sales-orders.sql) with its
-- lines summed; sorted by ordered_at.
create table report_orders (
  order_id varchar not null,
  customer_id bigint not null,
  employee_id varchar,
  campaign_id varchar,
  sales_channel varchar not null,
  ordered_at timestamptz not null,
  day date not null, -- ordered_at's UTC day
  status varchar not null,
  amount decimal(18, 2) not null, -- total_amount
  units integer not null, -- coalesce(item_count, 0)
  lines integer not null, -- order lines (0: an order without lines)
  line_amount decimal(18, 2), -- sum of its lines' amounts
  cogs decimal(18, 2), -- sum of quantity × unit cost over lines whose product has a unit cost
  lines_without_cost integer not null -- lines whose product has no unit cost
);
