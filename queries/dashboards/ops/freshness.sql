-- Purpose: data freshness per pipeline: its last successful load, the hours since then (to now, UTC), its last run's
--   status, and the newest row it wrote to its entity. Not filtered by date: it is today's state.
-- Grain: one row per pipeline that ever ran.
-- Parameters: none.
with last_run as (
  select pipeline, entity, status, started_at, error
  from pipeline_runs
  qualify row_number() over (partition by pipeline order by started_at desc, run_id desc) = 1
),
last_success as (
  select pipeline, max(finished_at) as finished_at, sum(coalesce(rows_inserted, 0) + coalesce(rows_updated, 0)) as rows_loaded_total
  from pipeline_runs
  where status = 'succeeded'
  group by pipeline
)
select
  r.pipeline,
  r.entity,
  s.finished_at as last_success_at,
  round(epoch(now() - s.finished_at) / 3600.0, 1) as hours_since_success,
  r.status as last_status,
  r.started_at as last_run_at,
  r.error as last_error
from last_run as r
left join last_success as s on s.pipeline = r.pipeline
order by hours_since_success desc nulls first, r.pipeline
