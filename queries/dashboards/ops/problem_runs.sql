-- Purpose: failed and skipped runs started in $from..$to, newest first, with their error.
-- Grain: one row per failed or skipped pipeline run.
-- Parameters: $from, $to (inclusive dates, by started_at).
select run_id, pipeline, entity, status, started_at, duration_ms / 1000.0 as duration_seconds, rows_read, error
from pipeline_runs
where status in ('failed', 'skipped')
  and started_at >= cast($from as date)
  and started_at < cast($to as date) + 1
order by started_at desc, run_id desc
limit 200
