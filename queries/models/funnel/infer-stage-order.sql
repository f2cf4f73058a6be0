-- Stage order of one pipeline inferred from deal_stage_history, for pipelines without a configured order.
-- Grain: one row per stage (case-insensitive name) seen in the pipeline's history.
-- avg_position: mean rank of the stage's first entry within each deal's history (1 = first stage);
-- open_now / won_now / lost_now: deals whose current stage it is, by status; followed: visits after
-- which the deal entered another stage (0 for a stage nothing ever follows: a closing stage).
-- Parameters: $pipeline.
with visits as (
  select
    h.deal_id,
    lower(trim(h.stage)) as stage_key,
    h.stage,
    h.entered_at,
    lead(h.entered_at) over (partition by h.deal_id order by h.entered_at) as next_entered_at
  from deal_stage_history as h
  join deals as d on d.deal_id = h.deal_id
  where d.pipeline = $pipeline
),

first_entries as (
  select
    deal_id,
    stage_key,
    row_number() over (partition by deal_id order by min(entered_at)) as position
  from visits
  group by deal_id, stage_key
),

current_stage as (
  select
    lower(trim(stage)) as stage_key,
    count(*) filter (where status = 'open') as open_now,
    count(*) filter (where status = 'won') as won_now,
    count(*) filter (where status = 'lost') as lost_now
  from deals
  where pipeline = $pipeline
  group by 1
)

select
  min(v.stage) as stage,
  (select avg(f.position) from first_entries as f where f.stage_key = v.stage_key) as avg_position,
  coalesce(any_value(c.open_now), 0) as open_now,
  coalesce(any_value(c.won_now), 0) as won_now,
  coalesce(any_value(c.lost_now), 0) as lost_now,
  count(v.next_entered_at) as followed
from visits as v
left join current_stage as c on c.stage_key = v.stage_key
group by v.stage_key
order by avg_position, stage;
