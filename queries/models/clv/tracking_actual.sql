-- Purpose: actual repeat purchase days per week of the modelled customers, for the tracking curve.
-- Grain: one row per week with at least one repeat purchase day (week 1 starts on $start).
-- Inputs: temp table clv_summary (who is modelled and their first purchase day).
-- Parameters: $start DATE (first purchase day in the data), $end DATE (last day tracked, inclusive).
with purchase_days as (
  select distinct customer_id, purchase_day
  from model_purchases
  where purchase_day <= cast($end as date)
),

repeat_days as (
  select p.purchase_day
  from purchase_days as p
  inner join clv_summary as s on s.customer_id = p.customer_id
  where p.purchase_day > s.first_purchase_date
)

select
  cast(date_diff('day', cast($start as date), purchase_day) // 7 + 1 as integer) as week,
  count(*) as purchases
from repeat_days
group by week
order by week
