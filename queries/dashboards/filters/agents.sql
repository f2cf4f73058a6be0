-- Purpose: the choices of the Service dashboard's rep filter: the employees tickets are assigned to (support agents),
--   busiest first; the sales reps of the default list own no tickets.
-- Grain: one row per employee with tickets.
-- Parameters: none.
with agents as (
  select employee_id, count(*) as tickets
  from tickets
  where employee_id is not null
  group by employee_id
)
select
  a.employee_id as value,
  coalesce(e.name, a.employee_id) || coalesce(' (' || e.region || ')', '') || ' · ' || format('{:,}', a.tickets) || ' tickets' as label
from agents as a
left join employees as e on e.employee_id = a.employee_id
order by a.tickets desc, value
