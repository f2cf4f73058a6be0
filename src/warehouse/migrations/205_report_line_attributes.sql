-- 205_report_line_attributes: the order-line mart carries the customer and product attributes that
-- sales reports group and filter by (region, country, industry, acquisition channel, lifecycle stage,
-- product name, category), so that a report over 10 M lines needs no join to 1.2 M customers (issue 4).
-- The values are those of the warehouse when the mart was built; the mart is read only while built from
-- the current data_version, so they are the customers' and products' current values.
-- The mart is recreated empty and marked unbuilt: sales by product or category use the base tables until
-- the next `crm models run reports`.

drop table report_order_lines;

-- Grain: one row per line of a completed or returned order (the rows of queries/reports/order-lines.sql),
-- sorted by the UTC month of ordered_at, then customer_id (see src/models/reports/marts.ts).
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
  first_in_category boolean not null, -- … of this category (coalesce(category, '(none)'))
  -- Attributes as the reports' joins give them (null when the customer, account or product is missing):
  region varchar, -- customers.region
  country varchar, -- customers.country
  industry varchar, -- coalesce(customers.industry, accounts.industry)
  acquisition_channel varchar, -- customers.acquisition_channel
  lifecycle_stage varchar, -- customers.lifecycle_stage
  product_name varchar, -- products.name
  category varchar -- products.category
);

delete from report_marts where name = 'order_lines';
