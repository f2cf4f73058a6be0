-- Purpose: quarantined source rows per pipeline, for the status page.
-- Grain: one row per pipeline with quarantined rows.
-- Parameters: none.
with problems as (
  select pipeline, run_id, source_file, row_number, reason
  from quarantine
)
select
  pipeline,
  count(distinct (run_id, source_file, row_number)) as rows_quarantined,
  count(*) as problems,
  max(run_id) as last_run_id,
  mode(reason) as most_common_reason
from problems
group by pipeline
order by rows_quarantined desc, pipeline
