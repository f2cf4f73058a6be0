-- Purpose: the date the default range of the sales-side dashboards ends on: the last order or deal activity.
-- Grain: one row.
-- Parameters: none.
select cast(max(latest) as date) as end_date
from (
  select max(ordered_at) as latest from orders
  union all select max(created_at) from deals
  union all select max(closed_at) from deals
)
