-- Purpose: the RFM label that issue 4's reports filter `segment` by (rfm_scores.rfm_label), for a segment filter
--   value as the dashboard offers it ('rfm-' || rfm_segment, from the latest succeeded segments run — the run the
--   reports read too). No row when the value is not an RFM segment of that run (a rule or builtin segment).
-- Grain: at most one row.
-- Parameters: $segment (the filter value, e.g. 'rfm-champions').
with latest as (
  select max(run_id) as run_id from segment_runs where status = 'succeeded'
)
select any_value(rfm_label) as label
from rfm_scores
where run_id = (select run_id from latest)
  and 'rfm-' || rfm_segment = $segment
having count(*) > 0
