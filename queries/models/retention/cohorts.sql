-- Purpose: cohort matrix — customer and revenue retention by first-purchase month × months since.
-- Grain: one row per cohort month × months_since, from 0 to the as-of month (months without activity included).
-- Inputs: temp table retention_customer_months (queries/models/retention/customer_months.sql).
-- Parameters: $as_of DATE (inclusive; its month is partial).
with customer_months as (
  select * from retention_customer_months
),

cohort_of as (
  select customer_id, min(month) as cohort_month
  from customer_months
  group by customer_id
),

cohort_sizes as (
  select cohort_month, count(*) as cohort_customers
  from cohort_of
  group by cohort_month
),

grid as (
  select s.cohort_month, s.cohort_customers, cast(k as integer) as months_since
  from cohort_sizes as s,
    unnest(range(0, date_diff('month', s.cohort_month, cast(date_trunc('month', cast($as_of as date)) as date)) + 1)) as t(k)
),

activity as (
  select c.cohort_month, date_diff('month', c.cohort_month, m.month) as months_since, count(*) as active_customers, sum(m.revenue) as revenue
  from customer_months as m
  inner join cohort_of as c on c.customer_id = m.customer_id
  group by all
),

filled as (
  select
    g.cohort_month,
    g.months_since,
    g.cohort_customers,
    coalesce(a.active_customers, 0) as active_customers,
    coalesce(a.revenue, 0) as revenue
  from grid as g
  left join activity as a on a.cohort_month = g.cohort_month and a.months_since = g.months_since
)

select
  cohort_month,
  months_since,
  cohort_customers,
  active_customers,
  cast(active_customers as double) / cohort_customers as customer_retention,
  cast(revenue as double) as revenue,
  cast(revenue as double) / nullif(first_value(revenue) over (partition by cohort_month order by months_since), 0) as revenue_retention
from filled
order by cohort_month, months_since
