-- Campaign effectiveness facts for [$from, $to): touches (reach and responses) with their share of the
-- campaign's cost, completed orders and won deals attributed to a campaign (campaign_id on the order
-- or deal), and the cost of campaigns that started in the range without any touch.
-- A campaign's cost is split evenly over all its touches (whatever their date), so a touch in the
-- range carries cost / touches and the range's cost is the share of touches it holds.
-- Orders come from `campaign_orders_input` (campaign_id, customer_id, channel, ordered_at, status, amount),
-- which the caller defines around this statement: report_orders while the marts are current (sorted by
-- ordered_at, so a range reads only its part), else the orders table.
-- Grain: one row per touch | attributed order | attributed won deal | untouched campaign.
-- Parameters: $from, $to (dates; half-open).
with touch_counts as (
  select campaign_id, count(*) as touches
  from campaign_touches
  group by campaign_id
),

touches as (
  select
    t.campaign_id,
    t.customer_id,
    t.channel,
    t.sent_at as at,
    'touch' as kind,
    t.opened_at is not null as is_opened,
    t.clicked_at is not null as is_clicked,
    t.converted_at is not null as is_converted,
    null::decimal(18, 2) as revenue,
    cast(c.cost as double) / tc.touches as cost
  from campaign_touches as t
  join touch_counts as tc on tc.campaign_id = t.campaign_id
  left join campaigns as c on c.campaign_id = t.campaign_id
  where t.sent_at >= cast($from as timestamptz) and t.sent_at < cast($to as timestamptz)
),

untouched as (
  select
    c.campaign_id,
    null::bigint as customer_id,
    c.channel,
    cast(c.started_at as timestamptz) as at,
    'cost' as kind,
    false as is_opened,
    false as is_clicked,
    false as is_converted,
    null::decimal(18, 2) as revenue,
    cast(c.cost as double) as cost
  from campaigns as c
  where c.started_at >= cast($from as date) and c.started_at < cast($to as date)
    and c.campaign_id not in (select campaign_id from touch_counts)
),

attributed_orders as (
  select o.campaign_id, o.customer_id, o.channel, o.ordered_at as at, 'order' as kind,
    false as is_opened, false as is_clicked, false as is_converted, o.amount as revenue, null::double as cost
  from campaign_orders_input as o
  where o.campaign_id is not null and o.status = 'completed'
    and o.ordered_at >= cast($from as timestamptz) and o.ordered_at < cast($to as timestamptz)
),

attributed_deals as (
  select d.campaign_id, d.customer_id, null as channel, d.closed_at as at, 'deal' as kind,
    false as is_opened, false as is_clicked, false as is_converted, d.amount as revenue, null::double as cost
  from deals as d
  where d.campaign_id is not null and d.status = 'won'
    and d.closed_at >= cast($from as timestamptz) and d.closed_at < cast($to as timestamptz)
)

select * from touches
union all select * from untouched
union all select * from attributed_orders
union all select * from attributed_deals;
