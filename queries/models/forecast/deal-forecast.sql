-- The weighted pipeline: every open deal with its stage win probability, forecast category and
-- weighted amount, plus the deals won in the as-of month so far (category closed).
-- Probability: the owner's team's rate for the stage when given, else the pipeline's rate for the
-- stage, else the pipeline's overall win rate (a current stage missing from the stage order).
-- Category: the deal's own forecast_category when set, else commit / best_case / pipeline by the
-- probability thresholds. Open deals whose expected close month has passed count in the as-of month.
-- Grain: one row per deal. Parameters: $stages (stage order JSON), $rates (JSON list of {pipeline,
-- team, stage_idx, probability}; team null = pipeline level), $base (JSON list of {pipeline,
-- probability}), $month_start (first day of the as-of month), $as_of_end (the day after as-of),
-- $commit, $best_case (thresholds).
with stage_order as (
  select unnest(
    from_json(cast($stages as json), '[{"pipeline":"VARCHAR","stage":"VARCHAR","stage_key":"VARCHAR","idx":"INTEGER","kind":"VARCHAR"}]'),
    recursive := true
  )
),

rates as (
  select unnest(from_json(cast($rates as json), '[{"pipeline":"VARCHAR","team":"VARCHAR","stage_idx":"INTEGER","probability":"DOUBLE"}]'), recursive := true)
),

base as (
  select unnest(from_json(cast($base as json), '[{"pipeline":"VARCHAR","probability":"DOUBLE"}]'), recursive := true)
),

open_deals as (
  select
    d.deal_id, d.customer_id, d.owner_id as employee_id, d.product_id, d.campaign_id, d.pipeline, d.stage, e.team,
    d.amount, d.forecast_category, d.expected_close_date, so.idx as stage_idx
  from deals as d
  left join employees as e on e.employee_id = d.owner_id
  left join stage_order as so on so.pipeline = d.pipeline and so.stage_key = lower(trim(d.stage)) and so.kind = 'open'
  where d.status = 'open' and d.created_at < cast($as_of_end as timestamptz)
),

weighted as (
  select
    od.*,
    coalesce(rt.probability, rp.probability, b.probability, 0) as probability,
    case
      when rt.probability is not null then 'team'
      when rp.probability is not null then 'pipeline stage'
      when b.probability is not null then 'pipeline overall'
      else 'none'
    end as probability_source
  from open_deals as od
  left join rates as rt on rt.pipeline = od.pipeline and rt.team = od.team and rt.stage_idx = od.stage_idx
  left join rates as rp on rp.pipeline = od.pipeline and rp.team is null and rp.stage_idx = od.stage_idx
  left join base as b on b.pipeline = od.pipeline
),

categorised as (
  select
    w.*,
    case
      when w.forecast_category is not null then w.forecast_category
      when w.probability >= $commit then 'commit'
      when w.probability >= $best_case then 'best_case'
      else 'pipeline'
    end as category,
    case when w.forecast_category is not null then 'deal' else 'threshold' end as category_source
  from weighted as w
)

select
  c.deal_id, c.customer_id, c.employee_id, c.product_id, c.campaign_id, c.pipeline, c.stage, c.team, c.amount,
  case when c.expected_close_date is null then null
    else greatest(cast(date_trunc('month', c.expected_close_date) as date), cast($month_start as date)) end as close_month,
  coalesce(c.expected_close_date < cast($month_start as date), false) as is_overdue,
  c.probability, c.probability_source, c.category, c.category_source,
  case when c.category = 'omitted' then 0 else c.amount * c.probability end as weighted_amount,
  'open' as status
from categorised as c
union all
select
  d.deal_id, d.customer_id, d.owner_id, d.product_id, d.campaign_id, d.pipeline, d.stage, e.team, d.amount,
  cast(date_trunc('month', cast(make_timestamp(epoch_us(d.closed_at)) as date)) as date), false, 1.0, 'won', 'closed', 'status', d.amount, 'won'
from deals as d
left join employees as e on e.employee_id = d.owner_id
where d.status = 'won' and d.closed_at >= cast($month_start as timestamptz) and d.closed_at < cast($as_of_end as timestamptz);
