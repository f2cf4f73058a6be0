-- Revenue forecast accuracy: what each stored forecast run said for a month (forecast_snapshots) vs
-- the actual revenue of that month recomputed now with the run's own sources (orders and/or deals).
-- Only completed months (before the current month) are compared; orders and deals are read only for
-- the months the selected snapshots cover. make_timestamp(epoch_us(x)) reads an instant as a UTC
-- TIMESTAMP without ICU (same result, every connection runs in UTC; much faster on 10M orders).
-- Grain: one row per run × forecast month. Parameters: $from, $to (dates or null: forecast months in
-- range), $horizon (months ahead or null), $run_id (or null), $limit.
with snaps as (
  select s.*
  from forecast_snapshots as s
  where s.period < cast(date_trunc('month', current_date) as date)
    and (cast($from as date) is null or s.period >= cast($from as date))
    and (cast($to as date) is null or s.period <= cast($to as date))
    and (cast($horizon as integer) is null or s.horizon = $horizon)
    and (cast($run_id as bigint) is null or s.run_id = $run_id)
),

bounds as (
  select cast(min(period) as timestamptz) as lo, cast(max(period) + interval 1 month as timestamptz) as hi
  from snaps
),

order_months as (
  select cast(date_trunc('month', cast(make_timestamp(epoch_us(o.ordered_at)) as date)) as date) as month, sum(o.total_amount) as amount
  from orders as o, bounds as b
  where o.status = 'completed' and o.ordered_at >= b.lo and o.ordered_at < b.hi
  group by 1
),

deal_months as (
  select cast(date_trunc('month', cast(make_timestamp(epoch_us(d.closed_at)) as date)) as date) as month, sum(d.amount) as amount
  from deals as d, bounds as b
  where d.status = 'won' and d.closed_at >= b.lo and d.closed_at < b.hi
  group by 1
),

runs as (
  select
    run_id,
    list_contains(from_json(json_extract(params, '$.revenue.sources'), '["VARCHAR"]'), 'orders') as with_orders,
    list_contains(from_json(json_extract(params, '$.revenue.sources'), '["VARCHAR"]'), 'deals') as with_deals
  from forecast_runs
),

compared as (
  select
    s.run_id, s.as_of, s.method, s.period, s.horizon, s.forecast, s.lower_80, s.upper_80,
    case when r.with_orders then coalesce(o.amount, 0) else 0 end
      + case when r.with_deals then coalesce(d.amount, 0) else 0 end as actual
  from snaps as s
  join runs as r on r.run_id = s.run_id
  left join order_months as o on o.month = s.period
  left join deal_months as d on d.month = s.period
)

select
  run_id, as_of, method, period, horizon, forecast, lower_80, upper_80,
  cast(actual as decimal(18, 2)) as actual,
  cast(actual - forecast as decimal(18, 2)) as error,
  case when actual <> 0 then round(abs(actual - forecast) / abs(actual), 4) end as ape,
  case when actual > 0 then round(greatest(0, 1 - abs(actual - forecast) / actual), 4) end as accuracy,
  actual between lower_80 and upper_80 as in_80
from compared
order by period, as_of, run_id
limit $limit;
