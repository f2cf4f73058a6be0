-- 500_scheduler: job and step run history, source freshness (src/scheduler, issue 7).
-- A job run is one execution of a job's chain of steps (ingest → models → segments → exports → dashboards).
-- Skipped triggers (overlap, missed) are rows too, so ops see them. The ops_* views are what the Ops
-- dashboard, `crm runs --jobs` and /health read.

create sequence job_run_id_seq start 1;

-- One row per trigger of a job: runs, and triggers that were skipped.
create table job_runs (
  job_run_id bigint not null default nextval('job_run_id_seq'),
  job varchar not null,
  trigger varchar not null, -- schedule | manual | backfill | resume
  run_date date not null, -- the logical date: ${RUN_DATE} in pipeline files, as-of date for models
  scheduled_for timestamptz, -- the cron slot (schedule triggers); null for manual runs
  status varchar not null, -- running | succeeded | failed | skipped | interrupted | cancelled
  reason varchar, -- why skipped / cancelled (overlap with run N, missed slot, shutdown)
  error varchar, -- the failing step's error
  failed_step varchar,
  steps_total integer not null,
  steps_succeeded integer not null default 0,
  resumes_run_id bigint, -- an interrupted or cancelled run this one completes
  pid integer not null,
  host varchar not null,
  started_at timestamptz not null,
  finished_at timestamptz,
  duration_ms bigint
);

-- One row per step of a job run (steps after a failure are not run and have no row).
create table job_step_runs (
  job_run_id bigint not null,
  step_index integer not null, -- 0-based position in the chain
  step varchar not null,
  type varchar not null, -- ingest | models | segments | exports | dashboards | exec
  status varchar not null, -- running | succeeded | failed | skipped | interrupted | cancelled
  attempts integer not null default 0, -- 1 + retries used
  started_at timestamptz not null,
  finished_at timestamptz,
  duration_ms bigint,
  error varchar, -- last attempt's error
  summary varchar, -- one line for logs and tables
  detail json -- per attempt: error, duration, backoff; per pipeline: run id, rows
);

-- One row per freshness rule, rewritten from the config at each check. The age and status are computed
-- live by ops_source_freshness, so they stay right between checks.
create table source_freshness (
  source varchar not null, -- the pipeline name
  entity varchar, -- the entity it loads (null before its first run)
  basis varchar not null, -- load: last successful load; field: newest value of loaded_at_field
  loaded_at_field varchar,
  warn_after_s bigint not null,
  error_after_s bigint not null,
  last_data_at timestamptz, -- basis field: max(loaded_at_field) at the last check
  checked_at timestamptz not null,
  notified_status varchar -- last status a notification was sent for (ok | warn | error)
);

-- The latest runs of each job with their step counts, for the Ops dashboard.
create view ops_job_runs as
select
  r.job_run_id, r.job, r.trigger, r.run_date, r.scheduled_for, r.status, r.reason, r.error, r.failed_step,
  r.steps_total, r.steps_succeeded, r.resumes_run_id, r.started_at, r.finished_at, r.duration_ms,
  coalesce(s.retries, 0) as retries
from job_runs r
left join (select job_run_id, sum(greatest(attempts - 1, 0)) as retries from job_step_runs group by job_run_id) s using (job_run_id);

-- Freshness per source, live: age since the last successful load (or the newest loaded_at_field value).
create view ops_source_freshness as
with last_load as (
  select pipeline, max(finished_at) as last_loaded_at
  from pipeline_runs where status = 'succeeded' group by pipeline
), measured as (
  select f.*, l.last_loaded_at,
    case when f.basis = 'load' then l.last_loaded_at else f.last_data_at end as fresh_as_of
  from source_freshness f left join last_load l on l.pipeline = f.source
)
select
  source, entity, basis, loaded_at_field, fresh_as_of, last_loaded_at,
  cast(floor(epoch(now()) - epoch(fresh_as_of)) as bigint) as age_s,
  warn_after_s, error_after_s,
  case
    when fresh_as_of is null then 'error'
    when epoch(now()) - epoch(fresh_as_of) > error_after_s then 'error'
    when epoch(now()) - epoch(fresh_as_of) > warn_after_s then 'warn'
    else 'ok'
  end as status,
  checked_at
from measured;
