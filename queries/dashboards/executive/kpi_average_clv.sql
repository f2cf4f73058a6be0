-- Purpose: KPI average CLV of the customers scored by the latest clv model run. A point-in-time figure: the date
--   range does not apply, and customer_value keeps only the latest run, so there is no previous value.
-- Grain: one row.
-- Parameters: $region, $rep (the customer's region and owner).
--   $segment (customers in the segment as of the latest segment run; null = all).
select
  avg(v.clv) as value,
  cast(null as double) as previous_value
from customer_value as v
join dash_customers($region, $rep, $segment) as c on c.customer_id = v.customer_id
