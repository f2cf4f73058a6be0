-- Purpose: the choices of the rep filter: employees who own customers, deals or orders, or hold a quota.
-- Grain: one row per employee.
-- Parameters: none.
with owners as (
  select owner_id as employee_id from deals where owner_id is not null
  union select owner_id from customers where owner_id is not null
  union select employee_id from orders where employee_id is not null
  union select employee_id from quotas
)
select
  o.employee_id as value,
  coalesce(e.name, o.employee_id) || coalesce(' (' || e.region || ')', '') as label
from owners as o
left join employees as e on e.employee_id = o.employee_id
order by label, value
