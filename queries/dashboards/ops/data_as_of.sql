-- Purpose: "data as of": when the last successful load finished.
-- Grain: one row.
-- Parameters: none.
select max(finished_at) as as_of
from pipeline_runs
where status = 'succeeded'
