-- Purpose: customers acquired per period by acquisition channel (acquired_at, else created_at).
-- Grain: one row per period × channel with acquisitions ('unknown' when the channel is missing); period_end is the first
--   day of the next period.
-- Parameters: $granularity; $from, $to (inclusive dates); $region (customer region); $rep (customer owner).
--   $segment (customers in the segment as of the latest segment run; null = all).
select
  cast(date_trunc($granularity, coalesce(acquired_at, created_at)) as date) as period,
  cast(date_trunc($granularity, coalesce(acquired_at, created_at)) + dash_period_step($granularity) as date) as period_end,
  coalesce(acquisition_channel, 'unknown') as channel,
  count(*) as customers
from dash_customers($region, $rep, $segment)
where coalesce(acquired_at, created_at) >= cast($from as date)
  and coalesce(acquired_at, created_at) < cast($to as date) + 1
group by all
order by period, channel
