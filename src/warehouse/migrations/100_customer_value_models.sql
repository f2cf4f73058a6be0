-- 100_customer_value_models: outputs of the customer-value models (src/models/{clv,churn,retention}).
-- Documented for readers in docs/models.md; names and columns are a contract with segments and dashboards.
-- Output tables hold the latest successful run of their model (replaced atomically, one transaction);
-- model_runs, model_fits and the clv_validation_* tables keep every run.

create sequence model_run_id_seq start 1;

-- One row per model run, successful or not.
create table model_runs (
  run_id bigint not null,
  model varchar not null, -- clv | churn | retention
  status varchar not null, -- running | succeeded | not_converged | failed
  as_of_date date, -- the day the outputs describe (clv: the calibration end, inclusive)
  data_start date, -- first transaction day used
  data_end date, -- last day of the calibration window (inclusive)
  holdout_end date, -- clv validation: last day of the holdout window (inclusive)
  time_unit varchar, -- clv: week | day
  n_customers bigint,
  converged boolean, -- every fit of the run converged
  log_likelihood double, -- the primary fit (clv: BG/NBD)
  inputs json, -- the run's inputs as resolved (calibration end, unit, horizon, discount rate, ...)
  parameters json, -- fitted parameters, e.g. {"bgnbd": {"r":..,"alpha":..,"a":..,"b":..}, "gamma_gamma": {"p":..,"q":..,"gamma":..}}
  std_errors json, -- same shape as parameters; null where the Hessian was not positive definite
  diagnostics json, -- per fit: iterations, evaluations, gradient norm, optimiser message; data checks
  warnings json, -- list of strings a user should read
  summary varchar, -- one line for logs
  error varchar, -- why the run failed or did not converge, and what to try
  started_at timestamptz not null,
  finished_at timestamptz,
  duration_ms bigint
);

-- One row per fitted sub-model per group within a run (clv: bgnbd, gamma_gamma; churn: sbg per plan).
create table model_fits (
  run_id bigint not null,
  submodel varchar not null, -- bgnbd | gamma_gamma | sbg
  group_key varchar not null, -- '(all)' or e.g. 'plan=pro'
  n_observations bigint not null, -- customers (subscriptions) in the likelihood
  n_distinct bigint, -- rows after compressing identical observations
  log_likelihood double,
  converged boolean not null,
  iterations integer,
  evaluations integer,
  gradient_norm double,
  message varchar,
  parameters json,
  std_errors json,
  derived json -- e.g. population mean spend, expected lifetime
);

-- One row per customer with a completed purchase on or before as_of_date (latest clv run).
create table customer_value (
  run_id bigint not null,
  as_of_date date not null,
  customer_id bigint not null,
  time_unit varchar not null, -- unit of recency and tenure: week | day
  first_purchase_date date not null,
  last_purchase_date date not null,
  frequency integer not null, -- repeat purchase days in the window
  recency double not null, -- first to last purchase day, in time_unit
  tenure double not null, -- first purchase day to as_of_date, in time_unit (T)
  monetary_value double not null, -- mean value of the repeat purchase days; 0 when frequency = 0
  total_revenue double not null, -- value of all purchase days in the window, first included
  p_alive double not null,
  expected_purchases double not null, -- over the next horizon_months months
  horizon_months integer not null,
  expected_mean_spend double not null, -- Gamma-Gamma conditional expected value per purchase
  clv double not null, -- discounted expected value over the next horizon_months months
  churn_tier varchar not null, -- see churn_risk
  value_percentile double not null -- rank of total_revenue among customers, 0..1
);

-- Churn-risk tier per customer (latest clv run): combines P(alive) and historical value.
create table churn_risk (
  run_id bigint not null,
  as_of_date date not null,
  customer_id bigint not null,
  tier varchar not null, -- champion | at_risk | lost_high_value | active | slipping | lost | new | one_time
  is_high_value boolean not null,
  p_alive double not null,
  p_alive_previous double, -- from the previous clv run, when the customer was scored there
  p_alive_change double,
  total_revenue double not null,
  value_percentile double not null,
  clv double not null,
  days_since_last_purchase integer not null,
  reason varchar not null
);

-- Holdout validation of a clv run: mean holdout purchases by calibration frequency (0..6, 7+).
create table clv_validation_frequency (
  run_id bigint not null,
  frequency_bucket varchar not null, -- '0' .. '6', '7+'
  bucket_order integer not null,
  customers bigint not null,
  actual_mean double not null,
  expected_mean double not null,
  actual_total double not null,
  expected_total double not null
);

-- Weekly cumulative repeat purchases, actual vs BG/NBD expected, of a clv run.
create table clv_tracking (
  run_id bigint not null,
  week integer not null, -- 1 = the 7 days starting on the first purchase day in the data
  week_end date not null, -- last day of the week
  period varchar not null, -- calibration | holdout
  actual double, -- repeat purchase days in the week; null after the data ends
  expected double not null,
  actual_cumulative double,
  expected_cumulative double not null
);

-- Cohort matrix (latest retention run): first-purchase month x months since.
create table retention_cohorts (
  run_id bigint not null,
  as_of_date date not null,
  cohort_month date not null, -- month of the customer's first completed order
  months_since integer not null, -- 0 = the cohort month
  cohort_customers bigint not null,
  active_customers bigint not null, -- with a completed order in that month
  customer_retention double not null, -- active_customers / cohort_customers
  revenue double not null, -- completed orders net of returns in that month
  revenue_retention double -- revenue / revenue of month 0; null when month 0 revenue is 0
);

-- Lifecycle per month (latest retention run): new, returning, resurrecting, dormant customers.
create table retention_lifecycle (
  run_id bigint not null,
  as_of_date date not null,
  period_start date not null, -- first day of the month
  state varchar not null, -- new | returning | resurrecting | dormant
  customers bigint not null,
  revenue double not null -- dormant: minus the revenue those customers brought the month before
);

-- Subscription survival (latest churn run): Kaplan-Meier and sBG, by month of tenure.
create table churn_survival (
  run_id bigint not null,
  as_of_date date not null,
  method varchar not null, -- kaplan_meier | sbg
  group_type varchar not null, -- all | plan | cohort
  group_value varchar not null, -- '(all)', the plan, or the start month 'YYYY-MM'
  month integer not null, -- months of tenure completed; 0 = start
  at_risk bigint, -- kaplan_meier: subscriptions entering this month
  churned bigint, -- kaplan_meier: cancelled during this month
  censored bigint, -- kaplan_meier: still active, observed through this month only
  survival double not null,
  retention_rate double, -- survival(month) / survival(month - 1)
  std_error double, -- Greenwood
  ci_low double,
  ci_high double
);

-- Monthly churn (latest churn run), overall ('(all)') and per plan.
create table churn_monthly (
  run_id bigint not null,
  as_of_date date not null,
  month date not null, -- first day of the calendar month
  plan varchar not null,
  active_start bigint not null, -- active on the first day of the month
  new_subscriptions bigint not null,
  churned bigint not null, -- of active_start, cancelled during the month
  active_end bigint not null,
  churn_rate double, -- churned / active_start; null when active_start = 0
  mrr_start double not null,
  mrr_churned double not null,
  mrr_churn_rate double
);
