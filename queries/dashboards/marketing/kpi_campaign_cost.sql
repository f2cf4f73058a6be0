-- Purpose: KPI campaign spend: cost of the campaigns that started in the period vs the previous period.
-- Grain: one row.
-- Parameters: $from, $to, $prev_from, $prev_to (inclusive dates, by started_at).
select
  coalesce(sum(cost) filter (where started_at between cast($from as date) and cast($to as date)), 0) as value,
  coalesce(sum(cost) filter (where started_at between cast($prev_from as date) and cast($prev_to as date)), 0) as previous_value
from campaigns
