-- Purpose: campaign funnel of the touches sent in $from..$to: sent, opened, clicked, converted, per campaign
--   (the 12 campaigns with the most touches), as steps for a grouped bar chart.
-- Grain: one row per campaign × step (1 sent, 2 opened, 3 clicked, 4 converted).
-- Parameters: $from, $to (inclusive dates, by sent_at); $region (customer region); $rep (customer owner).
--   $segment (customers in the segment as of the latest segment run; null = all).
with scoped as (
  select t.campaign_id, t.opened_at, t.clicked_at, t.converted_at
  from dash_campaign_touches($region, $rep, $segment) as t
  where t.sent_at >= cast($from as date)
    and t.sent_at < cast($to as date) + 1
),
per_campaign as (
  select
    campaign_id,
    count(*) as sent,
    count(opened_at) as opened,
    count(clicked_at) as clicked,
    count(converted_at) as converted
  from scoped
  group by campaign_id
  order by sent desc, campaign_id
  limit 12
)
select
  coalesce(cp.name, p.campaign_id) as campaign,
  s.step,
  s.step_name,
  case s.step when 1 then p.sent when 2 then p.opened when 3 then p.clicked else p.converted end as touches,
  case s.step when 1 then 1.0 when 2 then p.opened / p.sent when 3 then p.clicked / p.sent else p.converted / p.sent end as rate_of_sent
from per_campaign as p
left join campaigns as cp on cp.campaign_id = p.campaign_id
cross join (values (1, 'sent'), (2, 'opened'), (3, 'clicked'), (4, 'converted')) as s(step, step_name)
order by p.sent desc, campaign, s.step
