-- The stage path of each deal created in [$from, $to): one row per stage the deal reached (every open
-- stage up to its furthest, plus a 'won' row for won deals), with whether an entry into the stage was
-- recorded and the days it spent there (completed visits summed).
-- The furthest stage comes from deal_stage_history where the deal has history for known stages
-- (path_source 'history'); otherwise from its current stage and the pipeline's stage order
-- ('current_stage': every stage before the current one is assumed passed), and a lost deal whose
-- current stage is a closing-lost stage and that has no history is known to have entered the first
-- stage only ('lost_stage_unknown'). Won deals reached every open stage.
-- Grain: one row per deal per reached stage; a deal left out (no history in history mode, or a
-- current stage missing from the order) has one row with a null stage.
-- Parameters: $stages (JSON list of {pipeline, stage, stage_key, idx, kind}); $from, $to (dates,
-- half-open on created_at); $pipeline (null = all pipelines in $stages); $mode (auto | history | current_stage).
with stage_order as (
  select unnest(
    from_json(cast($stages as json), '[{"pipeline":"VARCHAR","stage":"VARCHAR","stage_key":"VARCHAR","idx":"INTEGER","kind":"VARCHAR"}]'),
    recursive := true
  )
),

stage_counts as (
  select pipeline, max(idx) as open_stages
  from stage_order
  where kind = 'open'
  group by pipeline
),

scoped as (
  select
    d.deal_id, d.customer_id, d.owner_id as employee_id, d.product_id, d.campaign_id, d.source, d.account_id,
    d.pipeline, d.status, d.lost_reason, d.amount, d.created_at, d.closed_at,
    lower(trim(d.stage)) as stage_key,
    sc.open_stages
  from deals as d
  join stage_counts as sc on sc.pipeline = d.pipeline
  where d.created_at >= cast($from as timestamptz)
    and d.created_at < cast($to as timestamptz)
    and (cast($pipeline as varchar) is null or d.pipeline = $pipeline)
),

visits as (
  select h.deal_id, s.idx, s.kind, h.entered_at, h.exited_at
  from deal_stage_history as h
  join scoped as d on d.deal_id = h.deal_id
  join stage_order as s on s.pipeline = d.pipeline and s.stage_key = lower(trim(h.stage))
  where $mode <> 'current_stage'
),

visited as (
  select deal_id, max(idx) filter (where kind = 'open') as furthest_open
  from visits
  group by deal_id
),

-- one row per deal and open stage it has a recorded entry for
stage_time as (
  select
    deal_id,
    idx,
    sum((epoch_us(exited_at) - epoch_us(entered_at)) / 1e6) filter (where exited_at is not null) / 86400.0 as days_in_stage
  from visits
  where kind = 'open'
  group by deal_id, idx
),

paths as (
  select
    d.*,
    case
      when v.furthest_open is not null then 'history'
      when $mode = 'history' then 'no_history'
      when cur.kind = 'lost' and d.status = 'lost' then 'lost_stage_unknown'
      when cur.kind is not null then 'current_stage'
      when d.status = 'won' then 'current_stage'
      else 'unknown_stage'
    end as path_source,
    case
      when d.status = 'won' then d.open_stages + 1
      when v.furthest_open is not null then v.furthest_open
      when cur.kind = 'open' then cur.idx
      when cur.kind = 'lost' then 1
      when cur.kind = 'won' then d.open_stages
    end as furthest_idx
  from scoped as d
  left join visited as v on v.deal_id = d.deal_id
  left join stage_order as cur on cur.pipeline = d.pipeline and cur.stage_key = d.stage_key
),

kept as (
  select * from paths where path_source not in ('no_history', 'unknown_stage')
),

reached as (
  select k.*, s.idx as stage_idx, s.stage
  from kept as k
  join stage_order as s on s.pipeline = k.pipeline and s.kind = 'open' and s.idx <= least(k.furthest_idx, k.open_stages)
  union all
  select k.*, k.open_stages + 1 as stage_idx, 'won' as stage
  from kept as k
  where k.status = 'won'
  union all
  -- deals left out (no history in history mode, or a current stage not in the order): one row, no stage
  select p.*, null as stage_idx, null as stage
  from paths as p
  where p.path_source in ('no_history', 'unknown_stage')
)

select
  r.deal_id, r.customer_id, r.employee_id, r.product_id, r.campaign_id, r.source, r.account_id,
  r.pipeline, r.status, r.lost_reason, r.amount, r.created_at, r.closed_at,
  r.path_source, r.furthest_idx, r.open_stages,
  r.stage_idx, r.stage,
  r.stage_idx = r.furthest_idx as is_furthest,
  case
    when r.path_source <> 'history' then null
    when r.stage_idx > r.open_stages then true
    else t.deal_id is not null
  end as entered,
  t.days_in_stage
from reached as r
left join stage_time as t on t.deal_id = r.deal_id and t.idx = r.stage_idx;
