-- Purpose: customers per churn-risk tier from the latest clv run, with their total revenue and average CLV.
-- Grain: one row per tier.
-- Parameters: $region, $rep (customer region and owner).
--   $segment (customers in the segment as of the latest segment run; null = all).
select
  r.tier,
  case r.tier when 'champion' then 1 when 'active' then 2 when 'new' then 3 when 'at_risk' then 4 when 'slipping' then 5
              when 'one_time' then 6 when 'lost_high_value' then 7 when 'lost' then 8 else 9 end as tier_order,
  count(*) as customers,
  count(*) filter (where r.is_high_value) as high_value_customers,
  sum(r.total_revenue) as total_revenue,
  avg(r.clv) as average_clv
from churn_risk as r
join dash_customers($region, $rep, $segment) as c on c.customer_id = r.customer_id
group by r.tier
order by tier_order
