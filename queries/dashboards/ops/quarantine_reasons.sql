-- Purpose: why source rows were quarantined by the runs started in $from..$to: problems per pipeline, field and kind of
--   reason. A reason's quoted source value ('N/A', 'XX-952-DISC') and the number after "value" are replaced by "…", so
--   "unknown product 'XX-952-DISC'" and "unknown product 'XX-921-DISC'" count as one kind; `example` keeps one in full.
-- Grain: one row per pipeline × field × reason kind (the 30 most frequent).
-- Parameters: $from, $to (inclusive dates, by the run's started_at).
with problems as (
  select
    q.pipeline,
    q.field,
    q.reason,
    regexp_replace(regexp_replace(q.reason, '''[^'']*''', '…', 'g'), '^value -?[0-9][0-9.]*', 'value …') as reason_kind,
    q.run_id,
    q.source_file,
    q.row_number
  from quarantine as q
  join pipeline_runs as r on r.run_id = q.run_id
  where r.started_at >= cast($from as date)
    and r.started_at < cast($to as date) + 1
)
select
  pipeline,
  coalesce(field || ': ', '') || reason_kind as reason,
  count(*) as problems,
  count(distinct (run_id, source_file, row_number)) as source_rows,
  min(reason) as example
from problems
group by pipeline, field, reason_kind
order by problems desc, pipeline, reason
limit 30
