import { hostname } from 'node:os';
import type { Generated } from 'kysely';
import type { Queryable, Warehouse } from '../warehouse/index.ts';

/** Tables of migration 500 (typed for Kysely via wh.db.withTables). */
export type JobRunStatus = 'running' | 'succeeded' | 'failed' | 'skipped' | 'interrupted' | 'cancelled';
export type JobTrigger = 'schedule' | 'manual' | 'backfill' | 'resume';

export interface JobRunsTable {
  job_run_id: Generated<number>;
  job: string;
  trigger: JobTrigger;
  run_date: string;
  scheduled_for: string | null;
  status: JobRunStatus;
  reason: string | null;
  error: string | null;
  failed_step: string | null;
  steps_total: number;
  steps_succeeded: Generated<number>;
  resumes_run_id: number | null;
  pid: number;
  host: string;
  started_at: string;
  finished_at: string | null;
  duration_ms: number | null;
}

export interface JobStepRunsTable {
  job_run_id: number;
  step_index: number;
  step: string;
  type: string;
  status: JobRunStatus;
  attempts: Generated<number>;
  started_at: string;
  finished_at: string | null;
  duration_ms: number | null;
  error: string | null;
  summary: string | null;
  detail: string | null;
}

export interface SourceFreshnessTable {
  source: string;
  entity: string | null;
  basis: 'load' | 'field';
  loaded_at_field: string | null;
  warn_after_s: number;
  error_after_s: number;
  last_data_at: string | null;
  checked_at: string;
  notified_status: string | null;
}

export type SchedulerTables = {
  job_runs: JobRunsTable;
  job_step_runs: JobStepRunsTable;
  source_freshness: SourceFreshnessTable;
};

export const db = (wh: Warehouse) => wh.db.withTables<SchedulerTables>();

export interface NewJobRun {
  job: string;
  trigger: JobTrigger;
  runDate: string;
  scheduledFor?: Date | null;
  stepsTotal: number;
  resumesRunId?: number | null;
}

/** Records a job run as running (committed at once, so a crash leaves a trace recovery finds). */
export async function insertJobRun(wh: Warehouse, r: NewJobRun, status: JobRunStatus = 'running', reason: string | null = null): Promise<number> {
  const now = new Date().toISOString();
  const row = await db(wh)
    .insertInto('job_runs')
    .values({
      job: r.job,
      trigger: r.trigger,
      run_date: r.runDate,
      scheduled_for: r.scheduledFor ? r.scheduledFor.toISOString() : null,
      status,
      reason,
      error: null,
      failed_step: null,
      steps_total: r.stepsTotal,
      resumes_run_id: r.resumesRunId ?? null,
      pid: process.pid,
      host: hostname(),
      started_at: now,
      finished_at: status === 'running' ? null : now,
      duration_ms: status === 'running' ? null : 0,
    })
    .returning('job_run_id')
    .executeTakeFirstOrThrow();
  return row.job_run_id;
}

export async function finishJobRun(
  wh: Warehouse,
  id: number,
  f: { status: JobRunStatus; durationMs: number; stepsSucceeded: number; error?: string | null; failedStep?: string | null; reason?: string | null },
): Promise<void> {
  await db(wh)
    .updateTable('job_runs')
    .set({
      status: f.status,
      finished_at: new Date().toISOString(),
      duration_ms: f.durationMs,
      steps_succeeded: f.stepsSucceeded,
      error: f.error ?? null,
      failed_step: f.failedStep ?? null,
      reason: f.reason ?? null,
    })
    .where('job_run_id', '=', id)
    .execute();
}

export async function insertStepRun(wh: Warehouse, s: { jobRunId: number; index: number; step: string; type: string }): Promise<void> {
  await db(wh)
    .insertInto('job_step_runs')
    .values({
      job_run_id: s.jobRunId,
      step_index: s.index,
      step: s.step,
      type: s.type,
      status: 'running',
      started_at: new Date().toISOString(),
      finished_at: null,
      duration_ms: null,
      error: null,
      summary: null,
      detail: null,
    })
    .execute();
}

export async function updateStepRun(
  wh: Warehouse,
  jobRunId: number,
  index: number,
  f: { status: JobRunStatus; attempts: number; durationMs?: number; error?: string | null; summary?: string | null; detail?: unknown },
): Promise<void> {
  await db(wh)
    .updateTable('job_step_runs')
    .set({
      status: f.status,
      attempts: f.attempts,
      ...(f.status === 'running' ? {} : { finished_at: new Date().toISOString(), duration_ms: f.durationMs ?? null }),
      error: f.error ?? null,
      summary: f.summary ?? null,
      detail: f.detail === undefined ? null : JSON.stringify(f.detail),
    })
    .where('job_run_id', '=', jobRunId)
    .where('step_index', '=', index)
    .execute();
}

/** The newest run of a job that actually ran (not skipped), or undefined. */
export async function latestRun(q: Queryable, job: string): Promise<{ job_run_id: number; status: JobRunStatus; run_date: string; error: string | null } | undefined> {
  const [row] = await q.all<{ job_run_id: number; status: JobRunStatus; run_date: string; error: string | null }>(
    `select job_run_id, status, run_date, error from job_runs where job = $job and status <> 'skipped' order by job_run_id desc limit 1`,
    { job },
  );
  return row;
}
