-- Purpose: the date the Ops dashboard's default range ends on: the last pipeline run.
-- Grain: one row.
-- Parameters: none.
select cast(max(started_at) as date) as end_date
from pipeline_runs
