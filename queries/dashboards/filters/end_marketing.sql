-- Purpose: the date the Marketing dashboard's default range ends on: the last acquisition, order or campaign touch.
-- Grain: one row.
-- Parameters: none.
select cast(max(latest) as date) as end_date
from (
  select max(coalesce(acquired_at, created_at)) as latest from customers
  union all select max(ordered_at) from orders
  union all select max(sent_at) from campaign_touches
)
