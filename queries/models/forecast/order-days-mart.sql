-- Completed orders' revenue per UTC day before $end, from the report_order_days mart (same rows as
-- order-days.sql while the mart is current). The mart's version is checked in this query's own snapshot,
-- as queries/reports/mart-guard.sql does for reports: a load that commits between the caller's "is the
-- mart current?" and this query makes it fail (the caller then reads the base tables) instead of
-- returning the mart's older rows.
-- Grain: one row per day with a completed order. Parameters: $end (date, exclusive).
select day, amount
from report_order_days
where day < cast($end as date)
  and (
    select case when count(*) = 1 then true else error('report mart order_days changed while the report ran') end
    from report_marts as m
    join warehouse_meta as w on w.key = 'data_version' and cast(w.value as bigint) = m.data_version
    where m.name = 'order_days'
  );
