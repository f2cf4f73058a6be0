-- Purpose: per-customer RFM summary for BG/NBD and Gamma-Gamma, plus holdout actuals for validation.
-- Grain: one row per customer with a purchase on or before $holdout_end (any purchase without a holdout);
--   customers whose first purchase is after the calibration end have in_window = false (the run counts, then
--   drops them). Without a holdout the holdout_* columns count purchases after the calibration end.
-- Parameters: $calibration_end DATE (inclusive), $holdout_end DATE or NULL (inclusive), $unit_days 1 (day) | 7 (week),
--   $by_order BOOLEAN (false: a purchase is a purchase day; true: every order is a purchase, at its exact time),
--   $gross BOOLEAN (value purchases at their order total instead of net of refund lines).
-- Conventions (Fader-Hardie / lifetimes, see docs/models.md):
--   purchases come from view model_purchases (completed or returned orders with a total >= 0, valued net
--   of refunds). By day (the default, the CDNOW convention): the orders of one customer on one UTC day are
--   one purchase at 00:00 of that day, their values summed, and T runs to 00:00 of the calibration end.
--   By order: each order is a purchase at its timestamp (orders at the same instant merge) and T runs to
--   the end of the calibration end day. frequency counts repeat purchases; recency and tenure (T) are days
--   since the first purchase, for weeks divided by 7 and rounded to 2 decimals (days by order: 4 decimals);
--   monetary_value is the mean value of the repeat purchases. Times are microseconds since 1970 (UTC).
with bounds as (
  select
    cast(cast($calibration_end as date) - date '1970-01-01' as bigint) as calibration_day
),

purchases_in_window as (
  select
    p.customer_id,
    case when $by_order then epoch_us(p.ordered_at) else p.day_number * 86400000000 end as purchased_us,
    case when $gross then p.total_amount else p.net_amount end as purchase_value
  from model_purchases as p
  -- Without a holdout, later purchases are still read: they tell which customers came after the window.
  -- The bound is inline (a filter) rather than a column of `bounds` (a nested-loop join over every purchase).
  where p.day_number <= cast(coalesce(cast($holdout_end as date), date '9999-12-31') - date '1970-01-01' as integer)
),

purchases as (
  select customer_id, purchased_us, sum(purchase_value) as purchase_value
  from purchases_in_window
  group by customer_id, purchased_us
),

cutoffs as (
  select
    (calibration_day + 1) * 86400000000 as calibration_cutoff_us,
    (calibration_day + case when $by_order then 1 else 0 end) * 86400000000 as tenure_end_us
  from bounds
),

per_customer as (
  select
    p.customer_id,
    min(p.purchased_us) as first_us,
    max(p.purchased_us) filter (where p.purchased_us < c.calibration_cutoff_us) as last_us,
    count(*) filter (where p.purchased_us < c.calibration_cutoff_us) as window_purchases,
    sum(p.purchase_value) filter (where p.purchased_us < c.calibration_cutoff_us) as total_revenue,
    arg_min(p.purchase_value, p.purchased_us) as first_purchase_value,
    -- the holdout's purchases are all purchases less the window's (exact: counts and DECIMAL sums)
    count(*) as all_purchases,
    sum(p.purchase_value) as all_revenue
  from purchases as p, cutoffs as c
  group by p.customer_id
),

in_days as (
  select
    p.customer_id,
    p.first_us,
    p.last_us,
    p.window_purchases - 1 as frequency,
    p.total_revenue,
    p.first_purchase_value,
    p.all_purchases - p.window_purchases as holdout_frequency,
    p.all_revenue - coalesce(p.total_revenue, 0) as holdout_revenue,
    p.first_us < c.calibration_cutoff_us as in_window,
    (p.last_us - p.first_us) / 86400e6 as recency_days,
    (c.tenure_end_us - p.first_us) / 86400e6 as tenure_days
  from per_customer as p, cutoffs as c
)

select
  customer_id,
  in_window,
  date '1970-01-01' + cast(first_us // 86400000000 as integer) as first_purchase_date,
  date '1970-01-01' + cast(last_us // 86400000000 as integer) as last_purchase_date,
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
