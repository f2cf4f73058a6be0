-- Purpose: KPI rows loaded (inserted + updated) by the runs started in the period vs the previous period.
-- Grain: one row.
-- Parameters: $from, $to, $prev_from, $prev_to (inclusive dates, by started_at).
select
  coalesce(sum(coalesce(rows_inserted, 0) + coalesce(rows_updated, 0)) filter (where started_at >= cast($from as date) and started_at < cast($to as date) + 1), 0) as value,
  coalesce(sum(coalesce(rows_inserted, 0) + coalesce(rows_updated, 0)) filter (where started_at >= cast($prev_from as date) and started_at < cast($prev_to as date) + 1), 0) as previous_value
from pipeline_runs
