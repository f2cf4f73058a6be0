-- Purpose: monthly churn rate (subscriptions and MRR), overall and per plan.
-- Grain: one row per calendar month × plan, plus one per month with plan '(all)'.
-- Parameters: $as_of DATE (inclusive; the month containing it is partial, counted up to that day).
-- Definitions: active_start = active at 00:00 UTC on the first day of the month; churned = of those, cancelled
--   during the month; churn_rate = churned / active_start. Subscriptions started and cancelled within one
--   month count as new but not in the rate (they were not active at its start).
with bounds as (
  select
    cast(date_trunc('month', min(started_at)) as date) as first_month,
    cast(date_trunc('month', cast($as_of as date)) as date) as last_month,
    cast(cast($as_of as date) + interval 1 day as timestamptz) as cutoff
  from subscriptions
  where started_at < cast($as_of as date) + interval 1 day
),

months as (
  select
    cast(m as date) as month,
    cast(m as timestamptz) as month_start,
    least(cast(m + interval 1 month as timestamptz), b.cutoff) as month_end
  from bounds as b, unnest(generate_series(b.first_month, b.last_month, interval 1 month)) as t(m)
),

subscriptions_known as (
  select
    s.plan,
    s.mrr,
    s.started_at,
    case when s.cancelled_at < b.cutoff then s.cancelled_at end as cancelled_at
  from subscriptions as s, bounds as b
  where s.started_at < b.cutoff
),

flags as (
  select
    m.month,
    s.plan,
    s.mrr,
    s.started_at < m.month_start and coalesce(s.cancelled_at >= m.month_start, true) as active_at_start,
    s.started_at >= m.month_start and s.started_at < m.month_end as started_in_month,
    s.cancelled_at >= m.month_start and s.cancelled_at < m.month_end as cancelled_in_month,
    s.started_at < m.month_end and coalesce(s.cancelled_at >= m.month_end, true) as active_at_end
  from months as m
  inner join subscriptions_known as s
    on s.started_at < m.month_end and coalesce(s.cancelled_at >= m.month_start, true)
)

select
  month,
  coalesce(plan, '(all)') as plan,
  count(*) filter (where active_at_start) as active_start,
  count(*) filter (where started_in_month) as new_subscriptions,
  count(*) filter (where active_at_start and cancelled_in_month) as churned,
  count(*) filter (where active_at_end) as active_end,
  cast(count(*) filter (where active_at_start and cancelled_in_month) as double) / nullif(count(*) filter (where active_at_start), 0) as churn_rate,
  coalesce(cast(sum(mrr) filter (where active_at_start) as double), 0) as mrr_start,
  coalesce(cast(sum(mrr) filter (where active_at_start and cancelled_in_month) as double), 0) as mrr_churned,
  cast(sum(mrr) filter (where active_at_start and cancelled_in_month) as double) / nullif(cast(sum(mrr) filter (where active_at_start) as double), 0) as mrr_churn_rate
from flags
group by grouping sets ((month, plan), (month))
order by month, plan nulls first
