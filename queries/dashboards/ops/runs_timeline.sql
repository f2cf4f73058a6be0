-- Purpose: every pipeline run started in $from..$to: when, how long, its status and rows, for the runs timeline.
-- Grain: one row per pipeline run.
-- Parameters: $from, $to (inclusive dates, by started_at, UTC).
select
  run_id,
  pipeline,
  entity,
  status,
  started_at,
  finished_at,
  duration_ms / 1000.0 as duration_seconds,
  rows_read,
  coalesce(rows_inserted, 0) + coalesce(rows_updated, 0) as rows_loaded,
  coalesce(rows_quarantined, 0) as rows_quarantined
from pipeline_runs
where started_at >= cast($from as date)
  and started_at < cast($to as date) + 1
order by started_at, run_id
