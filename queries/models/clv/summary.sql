-- Purpose: RFM summary for BG/NBD and Gamma-Gamma, plus holdout actuals for validation.
-- Grain: one row per customer whose first purchase is on or before $calibration_end.
-- Parameters: $calibration_end DATE (inclusive), $holdout_end DATE or NULL (inclusive), $unit_days 1 (day) | 7 (week),
--   $by_order BOOLEAN (false: a purchase is a purchase day; true: every order is a purchase, at its exact time),
--   $gross BOOLEAN (value purchases at their order total instead of net of refund lines).
-- Conventions (Fader-Hardie / lifetimes, see docs/models.md):
--   purchases come from view model_purchases (completed or returned orders with a total >= 0, valued net
--   of refunds; migration 101). By day (the default, the CDNOW convention): the orders of one customer on
--   one UTC day are one purchase at 00:00 of that day, their values summed, and T runs to 00:00 of the
--   calibration end. By order: each order is a purchase at its timestamp (orders at the same instant
--   merge) and T runs to the end of the calibration end day. frequency counts repeat purchases; recency and
--   tenure (T) are days since the first purchase, for weeks divided by 7 and rounded to 2 decimals (by
--   order in days: rounded to 4 decimals); monetary_value is the mean value of the repeat purchases.
with purchases_in_window as (
  select
    customer_id,
    case when $by_order then ordered_at else cast(purchase_day as timestamptz) end as purchased_at,
    case when $gross then total_amount else net_amount end as net_amount
  from model_purchases
  where purchase_day <= coalesce(cast($holdout_end as date), cast($calibration_end as date))
),

purchases as (
  select customer_id, purchased_at, sum(net_amount) as purchase_value
  from purchases_in_window
  group by customer_id, purchased_at
),

window_end as (
  select
    cast(cast($calibration_end as date) + interval 1 day as timestamptz) as calibration_cutoff,
    case
      when $by_order then cast(cast($calibration_end as date) + interval 1 day as timestamptz)
      else cast(cast($calibration_end as date) as timestamptz)
    end as tenure_end
),

per_customer as (
  select
    p.customer_id,
    min(p.purchased_at) as first_purchase_at,
    max(p.purchased_at) filter (where p.purchased_at < w.calibration_cutoff) as last_purchase_at,
    count(*) filter (where p.purchased_at < w.calibration_cutoff) - 1 as frequency,
    sum(p.purchase_value) filter (where p.purchased_at < w.calibration_cutoff) as total_revenue,
    arg_min(p.purchase_value, p.purchased_at) as first_purchase_value,
    count(*) filter (where p.purchased_at >= w.calibration_cutoff) as holdout_frequency,
    coalesce(sum(p.purchase_value) filter (where p.purchased_at >= w.calibration_cutoff), 0) as holdout_revenue
  from purchases as p
  cross join window_end as w
  group by p.customer_id
  having min(p.purchased_at) < any_value(w.calibration_cutoff)
),

in_days as (
  select
    c.*,
    (epoch(c.last_purchase_at) - epoch(c.first_purchase_at)) / 86400 as recency_days,
    (epoch(w.tenure_end) - epoch(c.first_purchase_at)) / 86400 as tenure_days
  from per_customer as c
  cross join window_end as w
)

select
  customer_id,
  cast(first_purchase_at as date) as first_purchase_date,
  cast(last_purchase_at as date) as last_purchase_date,
  cast(frequency as integer) as frequency,
  recency_days,
  tenure_days,
  case when $unit_days = 1 then round(recency_days, 4) else round(recency_days / $unit_days, 2) end as recency,
  case when $unit_days = 1 then round(tenure_days, 4) else round(tenure_days / $unit_days, 2) end as tenure,
  case when frequency > 0 then cast(total_revenue - first_purchase_value as double) / frequency else 0.0 end as monetary_value,
  cast(total_revenue as double) as total_revenue,
  cast(holdout_frequency as integer) as holdout_frequency,
  cast(holdout_revenue as double) as holdout_revenue
from in_days
