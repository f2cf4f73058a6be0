-- Customer profitability facts for [$from, $to): sales (order lines of completed orders, with their
-- cost of goods at the product's unit cost), contacts (interactions, with minutes), tickets, and the
-- acquisition cost of customers acquired in the range (their acquisition campaign's cost split evenly
-- over every customer that campaign acquired).
-- Grain: one row per order line | interaction | ticket | acquired customer.
-- Parameters: $from, $to (dates; half-open).
with acquired_counts as (
  select acquisition_campaign_id as campaign_id, count(*) as acquired
  from customers
  where acquisition_campaign_id is not null
  group by acquisition_campaign_id
),

sales as (
  select
    o.customer_id, o.employee_id, o.ordered_at as at, 'sale' as kind,
    l.line_amount as revenue,
    l.quantity * p.unit_cost as cogs,
    p.unit_cost is null as cost_missing,
    null::double as minutes,
    null::double as acquisition_cost
  from order_lines as l
  join orders as o on o.order_id = l.order_id
  left join products as p on p.product_id = l.product_id
  where o.status = 'completed'
    and o.ordered_at >= cast($from as timestamptz) and o.ordered_at < cast($to as timestamptz)
),

contacts as (
  select i.customer_id, i.employee_id, i.occurred_at as at, 'contact' as kind,
    null::decimal(18, 2) as revenue, null::decimal(18, 2) as cogs, false as cost_missing,
    coalesce(i.duration_seconds, 0) / 60.0 as minutes, null::double as acquisition_cost
  from interactions as i
  where i.occurred_at >= cast($from as timestamptz) and i.occurred_at < cast($to as timestamptz)
),

service as (
  select t.customer_id, t.employee_id, t.opened_at as at, 'ticket' as kind,
    null::decimal(18, 2) as revenue, null::decimal(18, 2) as cogs, false as cost_missing,
    null::double as minutes, null::double as acquisition_cost
  from tickets as t
  where t.opened_at >= cast($from as timestamptz) and t.opened_at < cast($to as timestamptz)
),

acquisition as (
  select c.customer_id, c.owner_id as employee_id, c.acquired_at as at, 'acquisition' as kind,
    null::decimal(18, 2) as revenue, null::decimal(18, 2) as cogs, false as cost_missing,
    null::double as minutes, cast(cp.cost as double) / ac.acquired as acquisition_cost
  from customers as c
  join acquired_counts as ac on ac.campaign_id = c.acquisition_campaign_id
  join campaigns as cp on cp.campaign_id = c.acquisition_campaign_id
  where c.acquired_at >= cast($from as timestamptz) and c.acquired_at < cast($to as timestamptz)
)

select * from sales
union all select * from contacts
union all select * from service
union all select * from acquisition;
