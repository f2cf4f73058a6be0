-- Purpose: KPI average CLV of the customers scored by the latest clv model run. A point-in-time figure: the date
--   range does not apply, and customer_value keeps only the latest run, so there is no previous value.
-- Grain: one row.
-- Parameters: $region, $rep (the customer's region and owner).
--   $segment (customers in the segment as of the latest segment run; null = all).
select
  avg(v.clv) as value,
  cast(null as double) as previous_value
from customer_value as v
left join customers as c on c.customer_id = v.customer_id
where ($region is null or c.region = $region)
  and ($rep is null or c.owner_id = $rep)
  and ($segment is null or v.customer_id in (select customer_id from dash_segment_members($segment)))
