-- Purpose: cohort retention heatmap from the latest retention model run: share of each first-purchase cohort active
--   N months later, for customers and for revenue, cohorts starting in $from..$to.
-- Grain: one row per cohort month × months since × measure (customers | revenue).
-- Parameters: $from, $to (inclusive dates, by cohort month).
select
  cohort_month,
  months_since,
  'customers' as measure,
  customer_retention as retention,
  cohort_customers,
  active_customers as active
from retention_cohorts
where cohort_month between cast(date_trunc('month', cast($from as date)) as date) and cast($to as date)
union all
select cohort_month, months_since, 'revenue', revenue_retention, cohort_customers, revenue
from retention_cohorts
where cohort_month between cast(date_trunc('month', cast($from as date)) as date) and cast($to as date)
order by measure, cohort_month, months_since
