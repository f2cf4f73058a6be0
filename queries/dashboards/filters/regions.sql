-- Purpose: the choices of the region filter (customers' regions).
-- Grain: one row per region.
-- Parameters: none.
select distinct region as value, region as label
from customers
where region is not null
order by region
