-- Purpose: days deals spent in each stage: median, 75th and 90th percentile over the stage visits that ended,
--   for visits entered in $from..$to.
-- Grain: one row per stage.
-- Parameters: $from, $to (inclusive dates, by entered_at); $region (customer's, else account's region); $rep (deal owner).
--   $segment (customers in the segment as of the latest segment run; null = all).
with visits as (
  select h.stage, (epoch_us(h.exited_at) - epoch_us(h.entered_at)) / 86400e6 as days
  from deal_stage_history as h
  join dash_deals($region, $rep, $segment) as d on d.deal_id = h.deal_id
  where h.exited_at is not null
    and h.entered_at >= cast($from as date)
    and h.entered_at < cast($to as date) + 1
),
stage_order as (
  select stage, median(position) as position
  from (select stage, row_number() over (partition by deal_id order by entered_at) as position from deal_stage_history)
  group by stage
)
select
  v.stage,
  count(*) as visits,
  quantile_cont(v.days, 0.5) as median_days,
  quantile_cont(v.days, 0.75) as p75_days,
  quantile_cont(v.days, 0.9) as p90_days
from visits as v
left join stage_order as o on o.stage = v.stage
group by v.stage, o.position
order by o.position, v.stage
