import type { Warehouse } from '../warehouse/index.ts';

export type JobRunRow = {
  run: number;
  job: string;
  trigger: string;
  run_date: string;
  status: string;
  started_at: string;
  seconds: number | null;
  steps: string;
  retries: number;
  failed_step: string | null;
  note: string | null;
};

/** Job runs, newest first (skipped triggers included), for `crm runs --jobs` and `crm jobs runs`. */
export async function jobRunRows(wh: Warehouse, o: { limit?: number; job?: string; status?: string } = {}): Promise<JobRunRow[]> {
  return wh.all<JobRunRow>(
    `select job_run_id as run, job, trigger, run_date, status, started_at, round(duration_ms / 1000, 2) as seconds,
       steps_succeeded || '/' || steps_total as steps, retries, failed_step,
       coalesce(error, reason) || case when resumes_run_id is not null then ' (resumes run ' || resumes_run_id || ')' else '' end as note
     from ops_job_runs
     where ($job is null or job = $job) and ($status is null or status = $status)
     order by job_run_id desc limit $limit`,
    { job: o.job ?? null, status: o.status ?? null, limit: o.limit ?? 20 },
  );
}

export type StepRunRow = {
  step: string;
  type: string;
  status: string;
  attempts: number;
  started_at: string;
  seconds: number | null;
  summary: string | null;
  error: string | null;
};

/** The steps of one job run, in chain order. */
export async function stepRunRows(wh: Warehouse, jobRunId: number): Promise<StepRunRow[]> {
  return wh.all<StepRunRow>(
    `select step, type, status, attempts, started_at, round(duration_ms / 1000, 2) as seconds, summary, error
     from job_step_runs where job_run_id = $id order by step_index`,
    { id: jobRunId },
  );
}
