-- Purpose: stage funnel of the deals created in $from..$to: deals that reached each stage (entered it or a later one),
--   the drop-off to the next step, and won as the last step. Stage order: the median position at which deals enter a
--   stage in deal_stage_history (per the whole history, so filters do not reorder stages).
-- Grain: one row per stage, plus one 'won' row.
-- Parameters: $from, $to (inclusive dates, by deal created_at); $region (customer's, else account's region); $rep (deal owner).
--   $segment (customers in the segment as of the latest segment run; null = all).
with stage_order as (
  select stage, median(position) as position
  from (
    select stage, row_number() over (partition by deal_id order by entered_at) as position
    from deal_stage_history
  )
  group by stage
),
cohort as (
  select d.deal_id, d.status
  from dash_deals($region, $rep, $segment) as d
  where d.created_at >= cast($from as date)
    and d.created_at < cast($to as date) + 1
),
furthest as (
  select h.deal_id, max(o.position) as position
  from deal_stage_history as h
  join cohort using (deal_id)
  join stage_order as o on o.stage = h.stage
  group by h.deal_id
),
steps as (
  select o.stage, o.position, count(f.deal_id) as deals
  from stage_order as o
  left join furthest as f on f.position >= o.position
  group by o.stage, o.position
  union all
  select 'won', (select max(position) + 1 from stage_order), count(*) filter (where status = 'won')
  from cohort
)
select
  row_number() over (order by position) as step,
  stage,
  deals,
  deals / nullif(first_value(deals) over (order by position), 0) as share_of_first,
  lead(deals) over (order by position) / nullif(deals, 0) as conversion_to_next,
  deals - coalesce(lead(deals) over (order by position), deals) as dropped
from steps
where exists (select 1 from cohort)
order by position
