-- Purpose: quota attainment per rep: won deal amount closed inside the rep's quota periods that start in $from..$to,
--   divided by those periods' quota. When a rep has quotas of several period types, the finest (month < quarter < year) is used
--   so that nothing is counted twice.
-- Grain: one row per rep with a quota period starting in the range.
-- Parameters: $from, $to (inclusive dates); $region (the rep's region); $rep (employee id).
with periods as (
  select
    q.employee_id,
    q.period_type,
    q.period_start,
    case q.period_type when 'month' then q.period_start + interval 1 month
                       when 'quarter' then q.period_start + interval 3 month
                       else q.period_start + interval 1 year end as period_end,
    q.quota_amount,
    case q.period_type when 'month' then 1 when 'quarter' then 2 else 3 end as fineness
  from quotas as q
  left join employees as e on e.employee_id = q.employee_id
  where q.period_start >= cast($from as date)
    and q.period_start <= cast($to as date)
    and ($region is null or e.region = $region)
    and ($rep is null or q.employee_id = $rep)
),
finest as (
  select * from periods
  qualify fineness = min(fineness) over (partition by employee_id)
),
attained as (
  select
    f.employee_id,
    f.period_start,
    f.quota_amount,
    coalesce(sum(d.amount), 0) as won_amount
  from finest as f
  left join deals as d
    on d.owner_id = f.employee_id
   and d.status = 'won'
   and d.closed_at >= f.period_start
   and d.closed_at < f.period_end
  group by f.employee_id, f.period_start, f.quota_amount
)
select
  a.employee_id as rep_id,
  coalesce(e.name, a.employee_id) as rep,
  e.team,
  count(*) as quota_periods,
  sum(a.quota_amount) as quota,
  sum(a.won_amount) as won_amount,
  sum(a.won_amount) / nullif(sum(a.quota_amount), 0) as attainment
from attained as a
left join employees as e on e.employee_id = a.employee_id
group by a.employee_id, e.name, e.team
order by attainment desc nulls last, rep
