-- 001_core: the canonical customer warehouse.
-- Policy: money is DECIMAL(18,2); instants are TIMESTAMPTZ, stored as instants and read in UTC
-- (every connection sets TimeZone = 'UTC'); calendar facts (quota periods, expected close) are DATE.
-- Keys are the source system's ids as VARCHAR, except customer_id: a stable surrogate assigned by
-- identity resolution (customer_sources explains every link). Uniqueness and references are checked
-- by the post-load data tests rather than by DuckDB indexes, which slow bulk merges.
-- Every entity row records the pipeline and run that last wrote it (_pipeline, _run_id, _loaded_at).

create table accounts (
  account_id varchar not null,
  name varchar,
  industry varchar,
  employee_count integer,
  annual_revenue decimal(18, 2),
  country varchar,
  region varchar,
  owner_id varchar,
  created_at timestamptz,
  _pipeline varchar, _run_id bigint, _loaded_at timestamptz
);

create table customers (
  customer_id bigint not null,
  first_name varchar,
  last_name varchar,
  email varchar,
  email_norm varchar,
  phone varchar,
  phone_norm varchar,
  account_id varchar,
  job_title varchar,
  industry varchar,
  street varchar,
  city varchar,
  postal_code varchar,
  country varchar,
  region varchar,
  owner_id varchar,
  acquisition_channel varchar,
  acquisition_campaign_id varchar,
  acquired_at timestamptz,
  lifecycle_stage varchar,
  email_opt_in boolean,
  sms_opt_in boolean,
  phone_opt_in boolean,
  do_not_contact boolean,
  unsubscribed_at timestamptz,
  created_at timestamptz,
  updated_at timestamptz,
  _pipeline varchar, _run_id bigint, _loaded_at timestamptz
);

-- Which source record became which customer, and why (external_id, email, phone or new).
create table customer_sources (
  source_system varchar not null,
  external_id varchar not null,
  customer_id bigint not null,
  matched_on varchar not null,
  email_norm varchar,
  phone_norm varchar,
  first_seen_run_id bigint,
  linked_at timestamptz not null
);

create table employees (
  employee_id varchar not null,
  name varchar,
  email varchar,
  role varchar,
  team varchar,
  manager_id varchar,
  region varchar,
  hired_at date,
  is_active boolean,
  _pipeline varchar, _run_id bigint, _loaded_at timestamptz
);

-- One row per employee per quota period.
create table quotas (
  employee_id varchar not null,
  period_start date not null,
  period_type varchar not null, -- month | quarter | year
  quota_amount decimal(18, 2) not null,
  _pipeline varchar, _run_id bigint, _loaded_at timestamptz
);

create table products (
  product_id varchar not null,
  name varchar,
  category varchar,
  list_price decimal(18, 2),
  unit_cost decimal(18, 2),
  is_active boolean,
  _pipeline varchar, _run_id bigint, _loaded_at timestamptz
);

-- Orders: status completed | pending | cancelled | returned; a return is also a line with negative quantity.
create table orders (
  order_id varchar not null,
  customer_id bigint not null,
  ordered_at timestamptz not null,
  status varchar not null,
  channel varchar,
  currency varchar,
  total_amount decimal(18, 2) not null,
  discount_amount decimal(18, 2),
  item_count integer,
  campaign_id varchar,
  employee_id varchar,
  _pipeline varchar, _run_id bigint, _loaded_at timestamptz
);

create table order_lines (
  order_id varchar not null,
  line_no integer not null,
  product_id varchar not null,
  quantity integer not null,
  unit_price decimal(18, 2) not null,
  discount_amount decimal(18, 2),
  line_amount decimal(18, 2) not null,
  _pipeline varchar, _run_id bigint, _loaded_at timestamptz
);

-- Deals: status open | won | lost; stage is the current stage.
create table deals (
  deal_id varchar not null,
  customer_id bigint,
  account_id varchar,
  name varchar,
  pipeline varchar not null,
  stage varchar not null,
  status varchar not null,
  amount decimal(18, 2),
  currency varchar,
  owner_id varchar,
  source varchar,
  campaign_id varchar,
  product_id varchar,
  created_at timestamptz not null,
  expected_close_date date,
  closed_at timestamptz,
  lost_reason varchar,
  forecast_category varchar,
  _pipeline varchar, _run_id bigint, _loaded_at timestamptz
);

-- One row per deal per stage visit; exited_at is null while the deal sits in the stage.
create table deal_stage_history (
  deal_id varchar not null,
  stage varchar not null,
  entered_at timestamptz not null,
  exited_at timestamptz,
  _pipeline varchar, _run_id bigint, _loaded_at timestamptz
);

-- Every contact on every channel: phone, email, meeting, event, presentation, web_form, chat, social.
create table interactions (
  interaction_id varchar not null,
  customer_id bigint not null,
  employee_id varchar,
  channel varchar not null,
  direction varchar, -- inbound | outbound
  occurred_at timestamptz not null,
  duration_seconds integer,
  outcome varchar,
  subject varchar,
  deal_id varchar,
  campaign_id varchar,
  _pipeline varchar, _run_id bigint, _loaded_at timestamptz
);

create table tickets (
  ticket_id varchar not null,
  customer_id bigint not null,
  employee_id varchar,
  channel varchar,
  category varchar,
  priority varchar, -- low | normal | high | urgent
  status varchar, -- open | pending | resolved | closed
  opened_at timestamptz not null,
  first_response_at timestamptz,
  resolved_at timestamptz,
  satisfaction integer, -- 1..5
  _pipeline varchar, _run_id bigint, _loaded_at timestamptz
);

create table campaigns (
  campaign_id varchar not null,
  name varchar,
  channel varchar,
  started_at date,
  ended_at date,
  cost decimal(18, 2),
  target_segment varchar,
  _pipeline varchar, _run_id bigint, _loaded_at timestamptz
);

-- One row per campaign per customer contacted; the funnel timestamps are null when the step never happened.
create table campaign_touches (
  touch_id varchar not null,
  campaign_id varchar not null,
  customer_id bigint not null,
  channel varchar,
  sent_at timestamptz not null,
  opened_at timestamptz,
  clicked_at timestamptz,
  converted_at timestamptz,
  _pipeline varchar, _run_id bigint, _loaded_at timestamptz
);

create table subscriptions (
  subscription_id varchar not null,
  customer_id bigint not null,
  plan varchar not null,
  mrr decimal(18, 2) not null,
  started_at timestamptz not null,
  cancelled_at timestamptz,
  _pipeline varchar, _run_id bigint, _loaded_at timestamptz
);

-- System tables -------------------------------------------------------------

create sequence pipeline_run_id_seq start 1;

create table pipeline_runs (
  run_id bigint not null default nextval('pipeline_run_id_seq'),
  pipeline varchar not null,
  pipeline_file varchar,
  entity varchar not null,
  source varchar,
  status varchar not null, -- running | succeeded | failed | skipped
  started_at timestamptz not null,
  finished_at timestamptz,
  duration_ms bigint,
  rows_read bigint,
  rows_inserted bigint,
  rows_updated bigint,
  rows_unchanged bigint,
  rows_deleted bigint,
  rows_quarantined bigint,
  tests_failed integer,
  watermark varchar,
  error varchar
);

-- Rejected source rows: one row per (row, field) problem, with the raw row as JSON.
create table quarantine (
  run_id bigint not null,
  pipeline varchar not null,
  source_file varchar,
  row_number bigint,
  field varchar,
  reason varchar not null,
  raw_row json
);

create table data_test_results (
  run_id bigint not null,
  entity varchar not null,
  test varchar not null, -- not_null | unique | relationship | accepted_values
  column_name varchar not null,
  failures bigint not null,
  sample varchar
);

-- Incremental state per pipeline.
create table pipeline_state (
  pipeline varchar not null,
  watermark varchar,
  updated_at timestamptz not null
);

-- key/value facts about the warehouse; data_version is bumped by every committed load.
create table warehouse_meta (
  key varchar not null,
  value varchar not null
);
insert into warehouse_meta values ('data_version', '0');
