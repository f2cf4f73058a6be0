-- Purpose: actual repeat purchases per week of the modelled customers, for the tracking curve.
-- Grain: one row per week with at least one repeat purchase (week 1 starts on $start).
-- Inputs: temp table clv_summary (who is modelled and their first purchase day).
-- Parameters: $start DATE (first purchase day in the data), $end DATE (last day tracked, inclusive),
--   $by_order BOOLEAN (count orders rather than purchase days, as the summary did).
with purchases as (
  select distinct
    customer_id,
    purchase_day,
    case when $by_order then epoch_us(ordered_at) else day_number * 86400000000 end as purchased_at
  from model_purchases
  where purchase_day <= cast($end as date)
),

first_purchases as (
  select customer_id, min(purchased_at) as first_purchased_at
  from purchases
  group by customer_id
),

repeat_purchases as (
  select p.purchase_day
  from purchases as p
  inner join first_purchases as f on f.customer_id = p.customer_id
  inner join clv_summary as s on s.customer_id = p.customer_id
  where p.purchased_at > f.first_purchased_at
)

select
  cast(date_diff('day', cast($start as date), purchase_day) // 7 + 1 as integer) as week,
  count(*) as purchases
from repeat_purchases
group by week
order by week
