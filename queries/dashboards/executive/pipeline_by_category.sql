-- Purpose: today's open pipeline by expected close period and forecast category as set on the deal (no category:
--   "uncategorised"). Forward-looking: every open deal expected to close on or after $from, also after $to;
--   deals without an expected close date are left out.
-- Grain: one row per period × forecast category; period_end is the first day of the next period.
-- Parameters: $granularity; $from (by expected_close_date); $region (customer's, else account's region); $rep (deal owner).
select
  cast(date_trunc($granularity, d.expected_close_date) as date) as period,
  cast(date_trunc($granularity, d.expected_close_date) + dash_period_step($granularity) as date) as period_end,
  coalesce(nullif(lower(d.forecast_category), ''), 'uncategorised') as forecast_category,
  count(*) as deals,
  sum(d.amount) as amount
from deals as d
left join customers as c on c.customer_id = d.customer_id
left join accounts as a on a.account_id = d.account_id
where d.status = 'open'
  and d.expected_close_date >= cast($from as date)
  and ($region is null or coalesce(c.region, a.region) = $region)
  and ($rep is null or d.owner_id = $rep)
group by all
order by period, forecast_category
