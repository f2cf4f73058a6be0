-- Purpose: KPI failed or skipped pipeline runs started in the period vs the previous period.
-- Grain: one row.
-- Parameters: $from, $to, $prev_from, $prev_to (inclusive dates, by started_at).
select
  count(*) filter (where started_at >= cast($from as date) and started_at < cast($to as date) + 1) as value,
  count(*) filter (where started_at >= cast($prev_from as date) and started_at < cast($prev_to as date) + 1) as previous_value
from pipeline_runs
where status in ('failed', 'skipped')
