-- Service facts: tickets opened in [$from, $to), with first-response and resolution times in hours.
-- Grain: one row per ticket. Parameters: $from, $to (dates; half-open on opened_at).
select
  t.ticket_id,
  t.customer_id,
  t.employee_id,
  t.opened_at as at,
  coalesce(t.channel, '(none)') as channel,
  coalesce(t.category, '(none)') as category,
  coalesce(t.priority, '(none)') as priority,
  coalesce(t.status, '(none)') as status,
  (epoch_us(t.first_response_at) - epoch_us(t.opened_at)) / 1e6 / 3600.0 as first_response_hours,
  (epoch_us(t.resolved_at) - epoch_us(t.opened_at)) / 1e6 / 3600.0 as resolution_hours,
  t.satisfaction
from tickets as t
where t.opened_at >= cast($from as timestamptz) and t.opened_at < cast($to as timestamptz);
