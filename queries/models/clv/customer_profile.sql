-- Purpose: the header of a customer card — who the customer is, their account, consent and order totals.
-- Grain: one row (the customer), none when the id is unknown.
-- Parameters: $customer_id BIGINT.
with order_totals as (
  select
    count(*) as orders,
    count(*) filter (where status in ('completed', 'returned')) as purchases,
    min(ordered_at) as first_order_at,
    max(ordered_at) as last_order_at
  from orders
  where customer_id = $customer_id
),

purchase_totals as (
  select coalesce(sum(net_amount), 0) as net_revenue
  from model_purchases
  where customer_id = $customer_id
),

sources as (
  select string_agg(source_system || ':' || external_id, ', ' order by source_system, external_id) as source_ids
  from customer_sources
  where customer_id = $customer_id
)

select
  c.customer_id,
  nullif(concat_ws(' ', c.first_name, c.last_name), '') as name,
  c.email,
  c.phone,
  c.job_title,
  a.name as account,
  c.country,
  c.lifecycle_stage,
  c.acquisition_channel,
  c.acquired_at,
  c.email_opt_in,
  c.do_not_contact,
  s.source_ids,
  o.orders,
  o.purchases,
  cast(p.net_revenue as double) as net_revenue,
  o.first_order_at,
  o.last_order_at
from customers as c
left join accounts as a on a.account_id = c.account_id
cross join order_totals as o
cross join purchase_totals as p
cross join sources as s
where c.customer_id = $customer_id
