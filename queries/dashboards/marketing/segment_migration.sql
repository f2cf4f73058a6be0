-- Purpose: RFM segment migration between the two latest succeeded segment runs: customers per (from, to) segment pair;
--   '(none)' = not scored in that run (no purchase in the lookback, or new since).
-- Grain: one row per from-segment × to-segment pair with customers.
-- Parameters: $region, $rep (customer region and owner; null = all).
with runs as (
  select run_id, row_number() over (order by run_id desc) as recency
  from segment_runs
  where status = 'succeeded'
  qualify recency <= 2
),
scores as (
  select s.customer_id, r.recency, s.rfm_label
  from rfm_scores as s
  join runs as r on r.run_id = s.run_id
),
moves as (
  select coalesce(a.customer_id, b.customer_id) as customer_id, coalesce(a.rfm_label, '(none)') as from_segment, coalesce(b.rfm_label, '(none)') as to_segment
  from (select * from scores where recency = 2) as a
  full join (select * from scores where recency = 1) as b on a.customer_id = b.customer_id
)
select m.from_segment, m.to_segment, count(*) as customers
from moves as m
join dash_customers($region, $rep, null) as c on c.customer_id = m.customer_id
where (select count(*) from runs) = 2
group by all
order by m.from_segment, m.to_segment
