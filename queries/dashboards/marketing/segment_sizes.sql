-- Purpose: segment sizes in the latest succeeded segment run, with the change since the run before it.
-- Grain: one row per evaluated segment with members in either run.
-- Parameters: none (segment runs describe their own as-of date).
with runs as (
  select run_id, as_of, row_number() over (order by run_id desc) as recency
  from segment_runs
  where status = 'succeeded'
  qualify recency <= 2
),
sizes as (
  select s.segment_name, s.source, r.recency, r.as_of, s.members
  from segment_sizes as s
  join runs as r on r.run_id = s.run_id
  where s.status = 'evaluated'
)
select
  cur.segment_name as segment,
  cur.source,
  cur.as_of,
  cur.members,
  prev.members as previous_members,
  cur.members - prev.members as change
from sizes as cur
left join sizes as prev on prev.segment_name = cur.segment_name and prev.recency = 2
where cur.recency = 1
  and (cur.members > 0 or coalesce(prev.members, 0) > 0)
order by cur.source = 'rfm' desc, cur.members desc, cur.segment_name
