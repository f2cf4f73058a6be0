-- Customer 360 timeline: every event of one customer across the warehouse, newest first — the
-- customer record, orders, interactions, tickets (opened, first response, resolved), deals (created,
-- stage entries, won/lost), campaign touches (sent, opened, clicked, converted) and subscriptions.
-- Grain: one row per event. Parameters: $customer_id (bigint); $from, $to (dates, half-open, or null
-- for no bound); $kinds (JSON list of kinds to keep, or null for all); $limit.
with deals_of as (
  select * from deals where customer_id = $customer_id
),

events as (
  select c.created_at as at, 'customer' as kind, 'created' as event, cast(c.customer_id as varchar) as ref_id,
    null as channel, null::decimal(18, 2) as amount, c.owner_id as employee_id, null as detail
  from customers as c where c.customer_id = $customer_id and c.created_at is not null
  union all
  select c.acquired_at, 'customer', 'acquired', cast(c.customer_id as varchar), c.acquisition_channel, null,
    c.owner_id, case when c.acquisition_campaign_id is not null then 'campaign ' || c.acquisition_campaign_id end
  from customers as c where c.customer_id = $customer_id and c.acquired_at is not null
  union all
  select c.unsubscribed_at, 'customer', 'unsubscribed', cast(c.customer_id as varchar), null, null, null, null
  from customers as c where c.customer_id = $customer_id and c.unsubscribed_at is not null
  union all
  select o.ordered_at, 'order', o.status, o.order_id, o.channel, o.total_amount, o.employee_id,
    nullif(concat_ws(', ', o.item_count || ' items', case when o.campaign_id is not null then 'campaign ' || o.campaign_id end), '')
  from orders as o where o.customer_id = $customer_id
  union all
  select i.occurred_at, 'interaction', concat_ws(' ', i.direction, i.channel), i.interaction_id, i.channel, null,
    i.employee_id, nullif(concat_ws(' — ', i.subject, i.outcome, case when i.duration_seconds is not null then round(i.duration_seconds / 60.0, 1) || ' min' end), '')
  from interactions as i where i.customer_id = $customer_id
  union all
  select t.opened_at, 'ticket', 'opened', t.ticket_id, t.channel, null, t.employee_id, nullif(concat_ws(' / ', t.category, t.priority), '')
  from tickets as t where t.customer_id = $customer_id
  union all
  select t.first_response_at, 'ticket', 'first response', t.ticket_id, t.channel, null, t.employee_id, null
  from tickets as t where t.customer_id = $customer_id and t.first_response_at is not null
  union all
  select t.resolved_at, 'ticket', 'resolved', t.ticket_id, t.channel, null, t.employee_id,
    case when t.satisfaction is not null then 'satisfaction ' || t.satisfaction || '/5' end
  from tickets as t where t.customer_id = $customer_id and t.resolved_at is not null
  union all
  select d.created_at, 'deal', 'created', d.deal_id, d.pipeline, d.amount, d.owner_id, d.name
  from deals_of as d
  union all
  select h.entered_at, 'deal', 'stage ' || h.stage, d.deal_id, d.pipeline, null, d.owner_id, null
  from deal_stage_history as h join deals_of as d on d.deal_id = h.deal_id
  union all
  select d.closed_at, 'deal', d.status, d.deal_id, d.pipeline, d.amount, d.owner_id, d.lost_reason
  from deals_of as d where d.status in ('won', 'lost') and d.closed_at is not null
  union all
  select x.at, 'campaign', x.event, x.campaign_id, x.channel, null, null, cp.name
  from (
    select t.campaign_id, t.channel, unnest([t.sent_at, t.opened_at, t.clicked_at, t.converted_at]) as at,
      unnest(['sent', 'opened', 'clicked', 'converted']) as event
    from campaign_touches as t where t.customer_id = $customer_id
  ) as x
  left join campaigns as cp on cp.campaign_id = x.campaign_id
  where x.at is not null
  union all
  select s.started_at, 'subscription', 'started', s.subscription_id, s.plan, s.mrr, null, null
  from subscriptions as s where s.customer_id = $customer_id
  union all
  select s.cancelled_at, 'subscription', 'cancelled', s.subscription_id, s.plan, s.mrr, null, null
  from subscriptions as s where s.customer_id = $customer_id and s.cancelled_at is not null
)

select e.at, e.kind, e.event, e.ref_id, e.channel, e.amount, coalesce(emp.name, e.employee_id) as employee, e.detail
from events as e
left join employees as emp on emp.employee_id = e.employee_id
where (cast($from as timestamptz) is null or e.at >= cast($from as timestamptz))
  and (cast($to as timestamptz) is null or e.at < cast($to as timestamptz))
  and (cast($kinds as varchar) is null or list_contains(from_json(cast($kinds as json), '["VARCHAR"]'), e.kind))
order by e.at desc, e.kind, e.event
limit $limit;
