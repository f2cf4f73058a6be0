-- Purpose: the campaigns whose lift can be measured: exported with a holdout group, started (else first exported) in $from..$to;
--   the 12 most recently exported.
-- Grain: one row per campaign.
-- Parameters: $from, $to (inclusive dates).
select e.campaign_id, any_value(c.name) as name
from export_log as e
left join campaigns as c on c.campaign_id = e.campaign_id
where e.campaign_id is not null
  and e.holdout > 0
  and coalesce(c.started_at, cast(e.created_at as date)) between cast($from as date) and cast($to as date)
group by e.campaign_id
order by max(e.export_id) desc
limit 12
