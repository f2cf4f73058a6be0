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
),
bounds as (
  select band, case when band = 0 then 0 else pow(10, band / 4) end as lo, pow(10, (band + 1) / 4) as hi, clv
  from banded
)
select
  band,
  round(lo, 2) as clv_from,
  round(hi, 2) as clv_to,
  -- three significant figures, k / M for thousands and millions: 1.78–3.16, 562–1k, 10k–17.8k
  case when band = 0 then 'under ' else
    case when lo >= 1e6 then format('{:.3g}', lo / 1e6) || 'M' when lo >= 1e3 then format('{:.3g}', lo / 1e3) || 'k' else format('{:.3g}', lo) end || '–'
  end
  || case when hi >= 1e6 then format('{:.3g}', hi / 1e6) || 'M' when hi >= 1e3 then format('{:.3g}', hi / 1e3) || 'k' else format('{:.3g}', hi) end as band_label,
  count(*) as customers,
  sum(clv) as total_clv
from bounds
group by band, lo, hi
order by band
