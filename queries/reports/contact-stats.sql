-- Contact statistics facts: interactions in [$from, $to) on every channel.
-- Grain: one row per interaction. Parameters: $from, $to (dates; half-open on occurred_at).
select
  i.interaction_id,
  i.customer_id,
  i.employee_id,
  i.occurred_at as at,
  i.channel,
  coalesce(i.direction, '(none)') as direction,
  coalesce(i.outcome, '(none)') as outcome,
  i.duration_seconds / 60.0 as minutes
from interactions as i
where i.occurred_at >= cast($from as timestamptz) and i.occurred_at < cast($to as timestamptz);
