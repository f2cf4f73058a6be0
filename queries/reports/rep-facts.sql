-- Rep facts for [$from, $to) (rep performance and quota attainment): the rep's activities
-- (interactions), deals created, deals closed won/lost, and quota spread over days. A quota period's amount is spread evenly over its days;
-- where a rep has quotas of several period types covering the same day, the finest (month, then
-- quarter, then year) counts, so quotas are never added twice.
-- Grain: one row per interaction | deal created | deal closed | rep-day with a quota.
-- Parameters: $from, $to (dates; half-open).
with quota_periods as (
  select
    q.employee_id,
    q.period_type,
    q.period_start,
    q.quota_amount,
    cast(case q.period_type
      when 'month' then q.period_start + interval 1 month
      when 'quarter' then q.period_start + interval 3 month
      else q.period_start + interval 1 year
    end as date) as period_end
  from quotas as q
),

quota_days as (
  select
    employee_id,
    period_type,
    period_start,
    quota_amount / date_diff('day', period_start, period_end) as quota_per_day,
    unnest(range(
      cast(greatest(period_start, cast($from as date)) as timestamp),
      cast(least(period_end, cast($to as date)) as timestamp),
      interval 1 day
    )) as day
  from quota_periods
  where period_start < cast($to as date) and period_end > cast($from as date)
),

finest_quota as (
  select employee_id, day, quota_per_day
  from quota_days
  qualify row_number() over (
    partition by employee_id, day
    order by case period_type when 'month' then 1 when 'quarter' then 2 else 3 end, period_start desc
  ) = 1
),

activities as (
  select i.employee_id, i.occurred_at as at, 'activity' as kind, i.channel,
    null::decimal(18, 2) as amount, null::double as cycle_days, null::double as quota
  from interactions as i
  where i.employee_id is not null
    and i.occurred_at >= cast($from as timestamptz) and i.occurred_at < cast($to as timestamptz)
),

created as (
  select d.owner_id as employee_id, d.created_at as at, 'created' as kind, null as channel,
    d.amount, null::double as cycle_days, null::double as quota
  from deals as d
  where d.created_at >= cast($from as timestamptz) and d.created_at < cast($to as timestamptz)
),

closed as (
  select d.owner_id as employee_id, d.closed_at as at, d.status as kind, null as channel,
    d.amount, (epoch_us(d.closed_at) - epoch_us(d.created_at)) / 1e6 / 86400.0 as cycle_days, null::double as quota
  from deals as d
  where d.status in ('won', 'lost') and d.closed_at is not null
    and d.closed_at >= cast($from as timestamptz) and d.closed_at < cast($to as timestamptz)
),

quota as (
  select employee_id, cast(day as timestamptz) as at, 'quota' as kind, null as channel,
    null::decimal(18, 2) as amount, null::double as cycle_days, quota_per_day as quota
  from finest_quota
)

select * from activities
union all select * from created
union all select * from closed
union all select * from quota;
