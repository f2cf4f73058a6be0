-- Purpose: discrete-time subscription lifetimes for Kaplan-Meier and the sBG model, aggregated.
-- Grain: one row per group (all | plan | cohort) × month of tenure × outcome (churned | censored).
-- Parameters: $as_of DATE (inclusive; later starts are ignored, later cancellations are not yet known).
-- Definitions: a subscription is paid for monthly from started_at; one that ends between its (k−1)-th and
--   k-th monthly anniversary (exactly at the k-th included) churned in month k (k ≥ 1); one still active
--   at the end of $as_of has survived the whole months completed by then (censored there).
with subscriptions_known as (
  select
    plan,
    strftime(started_at, '%Y-%m') as cohort,
    started_at,
    case when cancelled_at < cast($as_of as date) + interval 1 day then cancelled_at end as cancelled_at
  from subscriptions
  where started_at < cast($as_of as date) + interval 1 day
),

with_months as (
  select
    plan,
    cohort,
    cancelled_at is not null as churned,
    case
      when cancelled_at is not null then
        greatest(1, date_sub('month', started_at, cancelled_at)
          + case when cancelled_at > started_at + to_months(date_sub('month', started_at, cancelled_at)) then 1 else 0 end)
      else date_sub('month', started_at, cast(cast($as_of as date) + interval 1 day as timestamptz))
    end as months
  from subscriptions_known
),

grouped as (
  select 'all' as group_type, '(all)' as group_value, churned, months from with_months
  union all
  select 'plan', plan, churned, months from with_months
  union all
  select 'cohort', cohort, churned, months from with_months
)

select
  group_type,
  group_value,
  cast(months as integer) as month,
  count(*) filter (where churned) as churned,
  count(*) filter (where not churned) as censored
from grouped
group by all
order by group_type, group_value, month
