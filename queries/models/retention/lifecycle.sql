-- Purpose: lifecycle (growth accounting) per month — new, returning, resurrecting and dormant customers.
-- Grain: one row per month × state with at least one customer.
-- Inputs: temp table retention_customer_months (queries/models/retention/customer_months.sql).
-- Parameters: $as_of DATE (inclusive; its month is partial).
-- States of a customer in month m: new (first active month), returning (active in m and m − 1),
--   resurrecting (active in m, not in m − 1, active before), dormant (active in m − 1, not in m; its
--   revenue is minus what those customers brought in m − 1).
with customer_months as (
  select
    customer_id,
    month,
    revenue,
    lag(month) over (partition by customer_id order by month) as previous_month,
    lead(month) over (partition by customer_id order by month) as next_month
  from retention_customer_months
),

active_states as (
  select
    month as period_start,
    case
      when previous_month is null then 'new'
      when previous_month = cast(month - interval 1 month as date) then 'returning'
      else 'resurrecting'
    end as state,
    revenue
  from customer_months
),

dormant as (
  select
    cast(month + interval 1 month as date) as period_start,
    'dormant' as state,
    -revenue as revenue
  from customer_months
  where (next_month is null or next_month > cast(month + interval 1 month as date))
    and cast(month + interval 1 month as date) <= cast(date_trunc('month', cast($as_of as date)) as date)
),

all_states as (
  select * from active_states
  union all
  select * from dormant
)

select period_start, state, count(*) as customers, cast(sum(revenue) as double) as revenue
from all_states
group by period_start, state
order by period_start, case state when 'new' then 1 when 'returning' then 2 when 'resurrecting' then 3 else 4 end
