-- Guard for a report query that reads a report mart: true while the mart named $name was built from the
-- warehouse's current data_version, an error otherwise. Put in the query's WHERE, it is read in the
-- same snapshot as the mart's rows: a load or mart rebuild that commits between a report's "is the mart
-- current?" check and its query makes the query fail (the report then runs again) instead of mixing a
-- stale mart with newer base tables, or counting customers over a customer-id range that no longer holds.
-- Grain: one row. Parameters: $name (a mart name, as in report_marts).
select case when count(*) = 1 then true else error('report mart ' || $name || ' changed while the report ran') end
from report_marts as m
join warehouse_meta as w on w.key = 'data_version' and cast(w.value as bigint) = m.data_version
where m.name = $name;
