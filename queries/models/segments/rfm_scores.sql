-- Purpose: RFM quintile scores (1..5) and the named RFM segment of every customer, as of a day.
-- Grain: one row per customer with at least one purchase on or before $as_of
--        (and on or after $as_of + 1 day - $lookback_days days when $lookback_days is set).
-- Parameters:
--   $as_of          DATE, inclusive ('YYYY-MM-DD'); orders after the end of that day are ignored
--   $lookback_days  INTEGER or null (null = all history)
--   $ties           'split'  : ntile(5); equal values are split between scores, deterministically —
--                              by the other two measures, then customer_id
--                   'shared' : equal values always get the same score (1 + floor(5 * (rank - 1) / n));
--                              quintiles can then be unequal
--   $map_hash       the score map in rfm_segment_map that names the (r, f, m) cells
-- Purchases are the clv model's (view model_purchases: completed or returned orders, valued net of
-- refunds). Recency is days from the last purchase's day to $as_of (UTC); frequency counts purchases;
-- monetary sums their net value. Scores: 5 = most recent / most purchases / most spent.
with completed_orders as (
  select customer_id, ordered_at, net_amount
  from model_purchases
  where ordered_at < cast($as_of as date) + interval 1 day
    and ($lookback_days is null or ordered_at >= cast($as_of as date) + interval 1 day - to_days(cast($lookback_days as integer)))
),

per_customer as (
  select
    customer_id,
    max(ordered_at) as last_order_at,
    date_diff('day', cast(max(ordered_at) as date), cast($as_of as date)) as recency_days,
    count(*) as frequency,
    sum(net_amount) as monetary
  from completed_orders
  group by customer_id
),

scored as (
  select
    *,
    cast(case when $ties = 'shared'
      then 1 + floor(5 * (rank() over (order by recency_days desc) - 1) / count(*) over ())
      else ntile(5) over (order by recency_days desc, frequency, monetary, customer_id) end as integer) as r_score,
    cast(case when $ties = 'shared'
      then 1 + floor(5 * (rank() over (order by frequency) - 1) / count(*) over ())
      else ntile(5) over (order by frequency, monetary, recency_days desc, customer_id) end as integer) as f_score,
    cast(case when $ties = 'shared'
      then 1 + floor(5 * (rank() over (order by monetary) - 1) / count(*) over ())
      else ntile(5) over (order by monetary, frequency, recency_days desc, customer_id) end as integer) as m_score
  from per_customer
)

select
  s.customer_id,
  s.last_order_at,
  cast(s.recency_days as integer) as recency_days,
  cast(s.frequency as integer) as frequency,
  cast(s.monetary as decimal(18, 2)) as monetary,
  s.r_score,
  s.f_score,
  s.m_score,
  (s.f_score + s.m_score + 1) // 2 as fm_score,
  s.r_score::varchar || s.f_score::varchar || s.m_score::varchar as rfm_cell,
  map.segment as rfm_segment,
  map.label as rfm_label
from scored s
join rfm_segment_map map
  on map.map_hash = $map_hash and map.r = s.r_score and map.f = s.f_score and map.m = s.m_score
