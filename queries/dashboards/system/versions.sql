-- Purpose: what cached dashboard results are keyed on. data_version is bumped by every committed load; `state`
--   fingerprints the run records and logs that change without a load — model, segment, funnel and forecast
--   runs, report marts, exports, segment and plan definitions, load runs (failed or running ones too) and
--   scheduler jobs — so that a model run or a failed load shows on the next request instead of a cached
--   answer from before it. Every row is hashed: in-place updates (a run finishing) count too. Runs still
--   running are left out: a load's start changes no answer, and invalidating every cached panel then would
--   make everybody wait for recomputations while the load takes the CPU.
-- Grain: one row.
-- Parameters: none.
select
  (select cast(value as bigint) from warehouse_meta where key = 'data_version') as data_version,
  cast(coalesce(sum(h), 0) as varchar) as state
from (
  select hash(t)::hugeint as h from model_runs as t where status <> 'running'
  union all select hash(t)::hugeint from segment_runs as t where status <> 'running'
  union all select hash(t)::hugeint from funnel_runs as t
  union all select hash(t)::hugeint from forecast_runs as t
  union all select hash(t)::hugeint from report_marts as t
  union all select hash(t)::hugeint from export_log as t
  union all select hash(t)::hugeint from segment_definitions as t
  union all select hash(t)::hugeint from campaign_plans as t
  union all select hash(t)::hugeint from pipeline_runs as t where status <> 'running'
  union all select hash(t)::hugeint from job_runs as t where status <> 'running'
  union all select hash(t)::hugeint from job_step_runs as t where status <> 'running'
)
