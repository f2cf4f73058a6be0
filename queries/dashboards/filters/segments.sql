-- Purpose: the choices of the segment filter: segments with members in the latest succeeded segment run,
--   RFM segments labelled as the score map names them, others by name.
-- Grain: one row per segment.
-- Parameters: none.
with latest as (
  select max(run_id) as run_id from segment_runs where status = 'succeeded'
),
rfm_labels as (
  select distinct 'rfm-' || rfm_segment as segment_name, rfm_label as label
  from rfm_scores
  where run_id = (select run_id from latest)
)
select
  s.segment_name as value,
  coalesce('RFM: ' || l.label, s.segment_name) || ' (' || format('{:,}', s.members) || ')' as label
from segment_sizes as s
left join rfm_labels as l on l.segment_name = s.segment_name
where s.run_id = (select run_id from latest)
  and s.status = 'evaluated'
  and s.members > 0
order by s.source = 'rfm' desc, s.segment_name
