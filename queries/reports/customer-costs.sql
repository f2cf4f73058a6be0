-- Customer cost facts for [$from, $to), the non-sales part of customer profitability (the sales part
-- is the order lines, added by the report): contacts (interactions, with minutes), tickets, and the
-- acquisition cost of customers acquired in the range (their acquisition campaign's cost split evenly
-- over every customer that campaign acquired).
-- Grain: one row per interaction | ticket | acquired customer.
-- Parameters: $from, $to (dates; half-open).
with acquired_counts as (
  select acquisition_campaign_id as campaign_id, count(*) as acquired
  from customers
  where acquisition_campaign_id is not null
  group by acquisition_campaign_id
),

contacts as (
  select i.customer_id, i.employee_id, i.occurred_at as at, 'contact' as kind,
    null::decimal(18, 2) as revenue, null::decimal(18, 2) as cogs, 0 as lines_without_cost,
    coalesce(i.duration_seconds, 0) / 60.0 as minutes, null::double as acquisition_cost
  from interactions as i
  where i.occurred_at >= cast($from as timestamptz) and i.occurred_at < cast($to as timestamptz)
),

service as (
  select t.customer_id, t.employee_id, t.opened_at as at, 'ticket' as kind,
    null::decimal(18, 2) as revenue, null::decimal(18, 2) as cogs, 0 as lines_without_cost,
    null::double as minutes, null::double as acquisition_cost
  from tickets as t
  where t.opened_at >= cast($from as timestamptz) and t.opened_at < cast($to as timestamptz)
),

acquisition as (
  select c.customer_id, c.owner_id as employee_id, c.acquired_at as at, 'acquisition' as kind,
    null::decimal(18, 2) as revenue, null::decimal(18, 2) as cogs, 0 as lines_without_cost,
    null::double as minutes, cast(cp.cost as double) / ac.acquired as acquisition_cost
  from customers as c
  join acquired_counts as ac on ac.campaign_id = c.acquisition_campaign_id
  join campaigns as cp on cp.campaign_id = c.acquisition_campaign_id
  where c.acquired_at >= cast($from as timestamptz) and c.acquired_at < cast($to as timestamptz)
)

select * from contacts
union all select * from service
union all select * from acquisition;
