-- 200_funnel_forecast: output tables of the funnel and forecast models (issue 4).
-- Every row carries the run id of the model run that wrote it; *_runs says when, as of what date
-- and with which parameters. Ratios are fractions (0.25 = 25 %); money is DECIMAL(18,2).

create sequence funnel_run_id_seq start 1;

-- One row per funnel run (kind: stage | marketing).
create table funnel_runs (
  run_id bigint not null,
  kind varchar not null,
  as_of date not null,
  created_at timestamptz not null,
  params json not null,
  mode varchar, -- stage funnel: history | current_stage | mixed
  assumptions json, -- the assumptions the run made, as sentences
  summary varchar
);

-- Grain: one row per run × pipeline × cohort × breakdown value × stage (the last stage_index is 'won').
create table funnel_stage_results (
  run_id bigint not null,
  pipeline varchar not null,
  cohort date, -- first day of the creation month/quarter; null when not split by cohort
  breakdown varchar, -- the breakdown value; null when not broken down
  stage_index integer not null,
  stage varchar not null,
  reached bigint not null, -- deals that reached this stage or a later one
  entered bigint, -- deals with a recorded entry into this stage (null without history)
  advanced bigint not null,
  won bigint not null,
  lost_here bigint not null,
  open_here bigint not null,
  conversion_to_next double,
  conversion_to_won double,
  drop_off_rate double,
  days_in_stage_p50 double,
  days_in_stage_p75 double,
  days_in_stage_p90 double
);

-- Who dropped off where: one row per run × step × dropped deal (stage funnel) or touch (marketing
-- funnel). A segment rule selects `customer_id from funnel_dropoffs where run_id = … and step = …`.
create table funnel_dropoffs (
  run_id bigint not null,
  funnel varchar not null, -- stage | marketing
  step varchar not null, -- the last step reached
  step_index integer not null,
  customer_id bigint,
  deal_id varchar,
  touch_id varchar,
  campaign_id varchar,
  reason varchar, -- lost reason, or 'no <next step> within window'
  dropped_at timestamptz
);

create sequence forecast_run_id_seq start 1;

-- One row per forecast run.
create table forecast_runs (
  run_id bigint not null,
  as_of date not null,
  created_at timestamptz not null,
  series varchar not null, -- revenue: completed orders + closed-won deals
  method varchar not null,
  selection varchar not null, -- 'backtest' or 'fixed'
  horizon integer not null,
  history_start date,
  history_end date, -- the last complete month used
  params json not null,
  summary varchar
);

-- Rolling-origin backtest, one row per run × candidate method.
create table forecast_backtest (
  run_id bigint not null,
  method varchar not null,
  origins integer not null,
  forecasts integer not null,
  mape double,
  mae double,
  rmse double,
  accuracy double, -- mean of max(0, 1 - |actual - forecast| / actual)
  chosen boolean not null,
  error varchar -- why a method could not be backtested (e.g. too little history)
);

-- What a run forecast for each future month. Grain: run × period.
create table forecast_snapshots (
  run_id bigint not null,
  as_of date not null,
  method varchar not null,
  period date not null, -- first day of the forecast month
  horizon integer not null, -- 1 = the month after the last complete month
  forecast decimal(18, 2) not null,
  lower_80 decimal(18, 2),
  upper_80 decimal(18, 2),
  lower_95 decimal(18, 2),
  upper_95 decimal(18, 2)
);

-- Stage win probabilities learned from closed deals. team is null for the pipeline-level rate.
create table forecast_win_rates (
  run_id bigint not null,
  pipeline varchar not null,
  team varchar,
  stage varchar not null,
  stage_index integer not null,
  closed_deals bigint not null,
  won_deals bigint not null,
  raw_rate double,
  probability double not null
);

-- Open (and this period's closed) deals as the run weighed them. Grain: run × deal.
create table forecast_deals (
  run_id bigint not null,
  deal_id varchar not null,
  pipeline varchar not null,
  stage varchar not null,
  owner_id varchar,
  team varchar,
  close_month date, -- null when the deal has no expected close date
  amount decimal(18, 2),
  probability double not null,
  category varchar not null, -- commit | best_case | pipeline | closed | omitted
  category_source varchar not null, -- deal | threshold | status
  weighted_amount decimal(18, 2)
);

-- Pipeline by expected close month and forecast category, as the run saw it. Grain: run × pipeline × month × category.
create table forecast_pipeline_snapshots (
  run_id bigint not null,
  as_of date not null,
  pipeline varchar not null,
  close_month date,
  category varchar not null,
  deals bigint not null,
  amount decimal(18, 2) not null,
  weighted_amount decimal(18, 2) not null
);
