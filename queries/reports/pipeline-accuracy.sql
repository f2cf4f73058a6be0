-- Pipeline forecast accuracy: each stored pipeline snapshot's commit, best-case and weighted forecast
-- for a close month vs the amount of deals actually won in that month (per pipeline), for completed
-- months only.
-- Grain: one row per run × pipeline × close month. Parameters: $from, $to (dates or null), $horizon
-- (unused here; accepted for symmetry), $run_id (or null), $limit.
with snap as (
  select
    run_id, as_of, pipeline, close_month as period,
    sum(amount) filter (where category in ('closed', 'commit')) as commit_forecast,
    sum(amount) filter (where category in ('closed', 'commit', 'best_case')) as best_case_forecast,
    sum(weighted_amount) as weighted
  from forecast_pipeline_snapshots
  where close_month is not null
  group by run_id, as_of, pipeline, close_month
),

won as (
  select pipeline, cast(date_trunc('month', cast(make_timestamp(epoch_us(closed_at)) as date)) as date) as period, sum(amount) as amount
  from deals
  where status = 'won' and closed_at is not null
  group by 1, 2
)

select
  s.run_id, s.as_of, s.pipeline, s.period,
  coalesce(s.commit_forecast, 0) as commit_forecast,
  coalesce(s.best_case_forecast, 0) as best_case_forecast,
  s.weighted,
  coalesce(w.amount, 0) as actual,
  coalesce(w.amount, 0) - s.weighted as error,
  case when coalesce(w.amount, 0) <> 0 then round(abs(w.amount - s.weighted) / abs(w.amount), 4) end as ape,
  case when coalesce(w.amount, 0) > 0 then round(greatest(0, 1 - abs(w.amount - s.weighted) / w.amount), 4) end as accuracy
from snap as s
left join won as w on w.pipeline = s.pipeline and w.period = s.period
where s.period < cast(date_trunc('month', current_date) as date)
  and (cast($from as date) is null or s.period >= cast($from as date))
  and (cast($to as date) is null or s.period <= cast($to as date))
  and (cast($horizon as integer) is null or true)
  and (cast($run_id as bigint) is null or s.run_id = $run_id)
order by s.period, s.as_of, s.run_id, s.pipeline
limit $limit;
