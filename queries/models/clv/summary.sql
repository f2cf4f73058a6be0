-- Purpose: RFM summary for BG/NBD and Gamma-Gamma, plus holdout actuals for validation.
-- Grain: one row per customer whose first purchase day is on or before $calibration_end.
-- Parameters: $calibration_end DATE (inclusive), $holdout_end DATE or NULL (inclusive), $unit_days 1 (day) | 7 (week).
-- Conventions (Fader-Hardie / lifetimes, see docs/models.md):
--   purchases come from view model_purchases (completed or returned orders with a total >= 0, valued net
--   of refunds; migration 101); the orders of one customer on one UTC day are one purchase day, their
--   values summed; frequency counts repeat purchase days;
--   recency and tenure (T) are days since the first purchase day, divided by 7 and rounded to
--   2 decimals for weeks; monetary_value is the mean value of the repeat purchase days.
with purchases_in_window as (
  select customer_id, purchase_day, net_amount
  from model_purchases
  where purchase_day <= coalesce(cast($holdout_end as date), cast($calibration_end as date))
),

purchase_days as (
  select customer_id, purchase_day, sum(net_amount) as day_value
  from purchases_in_window
  group by customer_id, purchase_day
),

per_customer as (
  select
    customer_id,
    min(purchase_day) as first_purchase_date,
    max(purchase_day) filter (where purchase_day <= cast($calibration_end as date)) as last_purchase_date,
    count(*) filter (where purchase_day <= cast($calibration_end as date)) - 1 as frequency,
    sum(day_value) filter (where purchase_day <= cast($calibration_end as date)) as total_revenue,
    arg_min(day_value, purchase_day) as first_day_value,
    count(*) filter (where purchase_day > cast($calibration_end as date)) as holdout_frequency,
    coalesce(sum(day_value) filter (where purchase_day > cast($calibration_end as date)), 0) as holdout_revenue
  from purchase_days
  group by customer_id
  having min(purchase_day) <= cast($calibration_end as date)
),

in_days as (
  select
    *,
    date_diff('day', first_purchase_date, last_purchase_date) as recency_days,
    date_diff('day', first_purchase_date, cast($calibration_end as date)) as tenure_days
  from per_customer
)

select
  customer_id,
  first_purchase_date,
  last_purchase_date,
  cast(frequency as integer) as frequency,
  cast(recency_days as integer) as recency_days,
  cast(tenure_days as integer) as tenure_days,
  case when $unit_days = 1 then cast(recency_days as double) else round(recency_days / $unit_days, 2) end as recency,
  case when $unit_days = 1 then cast(tenure_days as double) else round(tenure_days / $unit_days, 2) end as tenure,
  case when frequency > 0 then cast(total_revenue - first_day_value as double) / frequency else 0.0 end as monetary_value,
  cast(total_revenue as double) as total_revenue,
  cast(holdout_frequency as integer) as holdout_frequency,
  cast(holdout_revenue as double) as holdout_revenue
from in_days
