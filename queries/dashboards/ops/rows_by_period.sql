-- Purpose: rows loaded (inserted + updated) and rows quarantined per period by the pipeline runs started in the period;
--   periods without runs show as zero.
-- Grain: one row per period overlapping $from..$to; period_end is the first day of the next period.
-- Parameters: $granularity; $from, $to (inclusive dates, by started_at).
with periods as (
  select period, period_end from dash_periods($granularity, $from, $to)
),
per_period as (
  select
    cast(date_trunc($granularity, started_at) as date) as period,
    count(*) as runs,
    sum(coalesce(rows_inserted, 0) + coalesce(rows_updated, 0)) as rows_loaded,
    sum(coalesce(rows_quarantined, 0)) as rows_quarantined
  from pipeline_runs
  where started_at >= cast($from as date)
    and started_at < cast($to as date) + 1
  group by 1
)
select
  p.period,
  p.period_end,
  coalesce(r.runs, 0) as runs,
  cast(coalesce(r.rows_loaded, 0) as bigint) as rows_loaded,
  cast(coalesce(r.rows_quarantined, 0) as bigint) as rows_quarantined
from periods as p
left join per_period as r on r.period = p.period
order by p.period
