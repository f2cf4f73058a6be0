-- Purpose: why source rows were quarantined by the runs started in $from..$to: problems per pipeline and reason.
-- Grain: one row per pipeline × reason (the 30 most frequent).
-- Parameters: $from, $to (inclusive dates, by the run's started_at).
select q.pipeline, q.reason, count(*) as problems, count(distinct (q.run_id, q.source_file, q.row_number)) as source_rows
from quarantine as q
join pipeline_runs as r on r.run_id = q.run_id
where r.started_at >= cast($from as date)
  and r.started_at < cast($to as date) + 1
group by all
order by problems desc, q.pipeline, q.reason
limit 30
