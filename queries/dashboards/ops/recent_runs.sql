-- Purpose: the most recent pipeline runs, newest first, for the status page.
-- Grain: one row per pipeline run.
-- Parameters: $limit (integer, how many runs).
select
  run_id,
  pipeline,
  entity,
  status,
  started_at,
  finished_at,
  duration_ms,
  rows_read,
  coalesce(rows_inserted, 0) + coalesce(rows_updated, 0) as rows_loaded,
  rows_quarantined,
  error
from pipeline_runs
order by started_at desc, run_id desc
limit $limit
