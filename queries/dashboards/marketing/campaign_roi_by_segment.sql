-- Purpose: campaign ROI per target segment for campaigns that started in $from..$to: cost, revenue of the completed
--   orders attributed to those campaigns (orders.campaign_id), conversions (touches converted), ROI = (revenue − cost) / cost.
-- Grain: one row per campaign target segment ('(none)' when the campaign names none).
-- Parameters: $from, $to (inclusive dates, by the campaign's start date); $region, $segment (customer region and segment,
--   for revenue and conversions; null = all).
with scoped_campaigns as (
  select campaign_id, coalesce(nullif(target_segment, ''), '(none)') as target_segment, coalesce(cost, 0) as cost
  from campaigns
  where started_at between cast($from as date) and cast($to as date)
),
revenue as (
  select o.campaign_id, sum(o.total_amount) as revenue
  from dash_orders($region, null, $segment) as o
  join scoped_campaigns using (campaign_id)
  where o.status = 'completed'
  group by o.campaign_id
),
conversions as (
  select t.campaign_id, count(t.converted_at) as conversions
  from dash_campaign_touches($region, null, $segment) as t
  join scoped_campaigns using (campaign_id)
  group by t.campaign_id
)
select
  s.target_segment,
  count(*) as campaigns,
  sum(s.cost) as cost,
  coalesce(sum(r.revenue), 0) as revenue,
  coalesce(sum(v.conversions), 0) as conversions,
  sum(s.cost) / nullif(sum(v.conversions), 0) as cost_per_conversion,
  (coalesce(sum(r.revenue), 0) - sum(s.cost)) / nullif(sum(s.cost), 0) as roi
from scoped_campaigns as s
left join revenue as r on r.campaign_id = s.campaign_id
left join conversions as v on v.campaign_id = s.campaign_id
group by s.target_segment
order by roi desc nulls last, s.target_segment
