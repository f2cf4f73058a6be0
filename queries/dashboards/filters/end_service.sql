-- Purpose: the date the Service dashboard's default range ends on: the last ticket opened.
-- Grain: one row.
-- Parameters: none.
select cast(max(opened_at) as date) as end_date
from tickets
