-- Purpose: the RFM grid of the latest succeeded segment run: customers per recency score × combined frequency-monetary
--   score, with the segment the score map gives the cell's majority and the average spend.
-- Grain: one row per (r_score, fm_score) cell with customers.
-- Parameters: $region, $rep, $segment (customer region, owner and segment; null = all).
with latest as (
  select max(run_id) as run_id from segment_runs where status = 'succeeded'
)
select
  s.r_score,
  s.fm_score,
  count(*) as customers,
  mode(s.rfm_label) as segment,
  avg(s.monetary) as average_monetary,
  avg(s.recency_days) as average_recency_days
from rfm_scores as s
join dash_customers($region, $rep, $segment) as c on c.customer_id = s.customer_id
where s.run_id = (select run_id from latest)
group by s.r_score, s.fm_score
order by s.r_score, s.fm_score
