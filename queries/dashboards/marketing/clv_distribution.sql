-- Purpose: distribution of 12-month CLV from the latest clv run: customers per CLV band (log-spaced bands, so a long
--   tail stays readable), with the band's total CLV.
-- Grain: one row per CLV band with customers.
-- Parameters: $region, $rep (customer region and owner).
--   $segment (customers in the segment as of the latest segment run; null = all).
with scored as (
  select v.clv
  from customer_value as v
  join dash_customers($region, $rep, $segment) as c on c.customer_id = v.customer_id
  where v.clv is not null
),
banded as (
  select
    case when clv < 1 then 0 else floor(log10(clv) * 4) end as band,
    clv
  from scored
)
select
  band,
  case when band = 0 then 0 else round(pow(10, band / 4), 2) end as clv_from,
  round(pow(10, (band + 1) / 4), 2) as clv_to,
  case when band = 0 then 'under ' || round(pow(10, 0.25), 2)
       else round(pow(10, band / 4), 0) || '–' || round(pow(10, (band + 1) / 4), 0) end as band_label,
  count(*) as customers,
  sum(clv) as total_clv
from banded
group by band
order by band
