-- Purpose: KPI win rate: deals closed in the period that were won / all deals closed (won or lost), vs the previous period.
-- Grain: one row.
-- Parameters: $from, $to, $prev_from, $prev_to (inclusive dates, by closed_at); $region (customer's, else account's region);
--   $rep (deal owner).
--   $segment (customers in the segment as of the latest segment run; null = all).
with closed as (
  select d.closed_at, d.status
  from dash_deals($region, $rep, $segment) as d
  where d.status in ('won', 'lost')
    and d.closed_at >= cast($prev_from as date)
    and d.closed_at < cast($to as date) + 1
)
select
  count(*) filter (where status = 'won' and closed_at >= cast($from as date)) /
    nullif(count(*) filter (where closed_at >= cast($from as date)), 0) as value,
  count(*) filter (where status = 'won' and closed_at < cast($prev_to as date) + 1) /
    nullif(count(*) filter (where closed_at < cast($prev_to as date) + 1), 0) as previous_value
from closed
