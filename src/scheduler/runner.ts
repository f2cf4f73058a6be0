import type { DuckDBConnection } from '@duckdb/node-api';
import { AppError } from '../errors.ts';
import type { Warehouse } from '../warehouse/index.ts';
import { formatDuration, getJob, type JobConfig, type JobsConfig, type StepConfig } from './config.ts';
import { withWriter } from './lock.ts';
import { childLogger, silentLogger, type Logger } from './log.ts';
import type { Notifier } from './notify.ts';
import { recoverInterrupted, type Recovered } from './recovery.ts';
import { backoffDelay, PermanentError, sleep, StepAborted } from './retry.ts';
import { dateRange, isDate, runDateFor, runVariables } from './run-date.ts';
import { StepUnavailable, stepTypes, type StepOutcome } from './steps/index.ts';
import { finishJobRun, insertJobRun, insertStepRun, updateStepRun, type JobRunStatus, type JobTrigger } from './store.ts';

/** Stop requests from a scheduler shutting down. */
export interface JobControl {
  /** Graceful: let the running step finish, start nothing else. */
  stop: AbortSignal;
  /** Hard: interrupt the running step (its transaction rolls back). */
  abort: AbortSignal;
}

export interface ProgressEvent {
  job: string;
  jobRunId: number;
  event: string;
  step?: string;
  [key: string]: unknown;
}

export interface RunJobOptions {
  trigger?: JobTrigger;
  /** The logical date (YYYY-MM-DD); default: from now, the job's time zone and runDateOffsetDays. */
  runDate?: string;
  scheduledFor?: Date | null;
  resumesRunId?: number | null;
  log?: Logger;
  notify?: Notifier;
  control?: JobControl;
  onProgress?: (e: ProgressEvent) => void;
  /** Base environment for interpolation (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** For jitter (tests). */
  random?: () => number;
  /** Called once the run has its id (before the first step). */
  onStart?: (jobRunId: number) => void;
}

export interface AttemptRecord {
  attempt: number;
  started_at: string;
  duration_ms: number;
  error?: string;
  /** Wait before the next attempt. */
  backoff_ms?: number;
}

export interface StepRunResult {
  step: string;
  type: string;
  status: JobRunStatus;
  attempts: AttemptRecord[];
  durationMs: number;
  summary?: string;
  error?: string;
  detail?: unknown;
}

export interface JobRunResult {
  jobRunId: number;
  job: string;
  trigger: JobTrigger;
  runDate: string;
  status: JobRunStatus;
  steps: StepRunResult[];
  durationMs: number;
  error?: string;
  failedStep?: string;
  reason?: string;
}

/** How long a step that was told to abort may take to stop, on shutdown, before the process moves on. */
const SHUTDOWN_ABORT_WAIT_MS = 30_000;

/** Jobs running in this process, per warehouse: a second trigger of the same job is skipped, not run twice. */
const active = new Map<string, { jobRunId: number | null; since: Date; trigger: JobTrigger }>();
const activeKey = (wh: Warehouse, job: string) => `${wh.path}\u0000${job}`;

/** Whether a job is running (or waiting for the writer) in this process. */
export function jobActive(wh: Warehouse, job: string): { jobRunId: number | null; since: Date; trigger: JobTrigger } | null {
  return active.get(activeKey(wh, job)) ?? null;
}

/**
 * Records a trigger that did not run (overlap with a running run, or a slot missed while the process
 * was busy or asleep) as a 'skipped' job run, and notifies job_skipped.
 */
export async function recordSkipped(
  wh: Warehouse,
  job: JobConfig,
  o: { trigger: JobTrigger; reason: string; scheduledFor?: Date | null; runDate?: string; log?: Logger; notify?: Notifier },
): Promise<JobRunResult> {
  const runDate = o.runDate ?? runDateFor(job, o.scheduledFor ?? new Date());
  const id = await insertJobRun(wh, { job: job.name, trigger: o.trigger, runDate, scheduledFor: o.scheduledFor, stepsTotal: job.steps.length }, 'skipped', o.reason);
  (o.log ?? silentLogger)('warn', 'job run skipped', { job: job.name, job_run_id: id, trigger: o.trigger, run_date: runDate, reason: o.reason });
  await o.notify?.({ event: 'job_skipped', severity: 'warning', text: `${job.name}: trigger skipped (${o.reason})`, job: job.name, job_run_id: id, run_date: runDate, reason: o.reason });
  return { jobRunId: id, job: job.name, trigger: o.trigger, runDate, status: 'skipped', steps: [], durationMs: 0, reason: o.reason };
}

/**
 * Runs a job's chain of steps now, as the warehouse's single writer. A trigger while the same job is
 * already running in this process is recorded as skipped. Steps are retried with exponential backoff
 * up to their `retries`; each attempt is cut off (and its open transaction rolled back) after the
 * step's timeout; the first failed step stops the chain and fails the run. Before it starts, the run
 * marks runs left 'running' by dead processes as interrupted.
 *
 * @example
 * const r = await runJob(wh, loadJobsConfig('config/jobs.json'), 'nightly', { trigger: 'manual' });
 * // { jobRunId: 7, status: 'succeeded', runDate: '2026-11-23', steps: [{ step: 'ingest', status: 'succeeded', … }, …] }
 */
export async function runJob(wh: Warehouse, config: JobsConfig, jobName: string, options: RunJobOptions = {}): Promise<JobRunResult> {
  const job = getJob(config, jobName);
  const trigger = options.trigger ?? 'manual';
  const log = childLogger(options.log ?? silentLogger, { job: job.name });
  if (options.runDate !== undefined && !isDate(options.runDate)) throw new AppError('VALIDATION', `run date must be YYYY-MM-DD (got "${options.runDate}")`);
  const key = activeKey(wh, job.name);
  const running = active.get(key);
  if (running) {
    const reason = `overlap: ${running.jobRunId ? `run ${running.jobRunId}` : 'a run'} (${running.trigger}) has been running since ${running.since.toISOString()}`;
    return recordSkipped(wh, job, { trigger, reason, scheduledFor: options.scheduledFor, runDate: options.runDate, log: options.log, notify: options.notify });
  }
  const me = { jobRunId: null as number | null, since: new Date(), trigger };
  active.set(key, me);
  try {
    return await withWriter(wh, `job ${job.name} (${trigger})`, () => execute(wh, job, trigger, options, log, me), {
      onWait: (holder) => log('info', 'waiting for the warehouse writer', { holder }),
    });
  } finally {
    active.delete(key);
  }
}

/** Reports what recovery found: the log, and job_interrupted notifications. */
export async function reportRecovered(r: Recovered, log: Logger, notify?: Notifier): Promise<void> {
  for (const p of r.pipelineRuns) log('warn', 'interrupted load marked failed', { pipeline: p.pipeline, pipeline_run_id: p.run_id, started_at: p.started_at });
  for (const j of r.jobRuns) {
    log('warn', 'interrupted job run found', { job: j.job, job_run_id: j.job_run_id, step: j.step, pid: j.pid });
    await notify?.({
      event: 'job_interrupted',
      severity: 'error',
      text: `${j.job}: run ${j.job_run_id} (run date ${j.run_date}) was interrupted${j.step ? ` during step ${j.step}` : ''} — process ${j.pid} on ${j.host} ended; nothing half-loaded was kept`,
      job: j.job,
      job_run_id: j.job_run_id,
      run_date: j.run_date,
      step: j.step,
    });
  }
}

async function execute(
  wh: Warehouse,
  job: JobConfig,
  trigger: JobTrigger,
  options: RunJobOptions,
  log: Logger,
  me: { jobRunId: number | null },
): Promise<JobRunResult> {
  await reportRecovered(await recoverInterrupted(wh), log, options.notify);
  const runDate = options.runDate ?? runDateFor(job, options.scheduledFor ?? new Date());
  const started = Date.now();
  const jobRunId = await insertJobRun(wh, { job: job.name, trigger, runDate, scheduledFor: options.scheduledFor, stepsTotal: job.steps.length, resumesRunId: options.resumesRunId });
  me.jobRunId = jobRunId;
  options.onStart?.(jobRunId);
  const runLog = childLogger(log, { job_run_id: jobRunId });
  const progress = (event: string, fields: Record<string, unknown> = {}) => options.onProgress?.({ job: job.name, jobRunId, event, ...fields });
  runLog('info', 'job run started', { trigger, run_date: runDate, scheduled_for: options.scheduledFor?.toISOString(), steps: job.steps.map((s) => s.name).join(' → ') });
  progress('job:start');

  const env = { ...(options.env ?? process.env), ...job.env, ...runVariables(job, runDate, jobRunId) };
  const result: JobRunResult = { jobRunId, job: job.name, trigger, runDate, status: 'running', steps: [], durationMs: 0 };
  let stepsSucceeded = 0;
  try {
    for (const [index, step] of job.steps.entries()) {
      if (options.control?.stop.aborted) {
        result.status = 'cancelled';
        result.reason = `shutdown requested before step ${step.name}; ${job.steps.length - index} steps not run`;
        break;
      }
      const r = await runStep(wh, job, step, index, jobRunId, runDate, { ...env, ...step.env }, options, childLogger(runLog, { step: step.name }), progress);
      result.steps.push(r);
      if (r.status === 'succeeded' || r.status === 'skipped') {
        stepsSucceeded++;
        continue;
      }
      result.status = r.status === 'cancelled' ? 'cancelled' : 'failed';
      result.failedStep = step.name;
      result.error = r.error;
      if (r.status === 'cancelled') result.reason = `shutdown during step ${step.name}: ${r.error}`;
      break;
    }
    if (result.status === 'running') result.status = 'succeeded';
  } catch (e) {
    // Bookkeeping itself failed (disk full, …): the run is failed; loads already committed stay.
    result.status = 'failed';
    result.error = `scheduler error: ${(e as Error).message}`;
  }
  result.durationMs = Date.now() - started;
  await finishJobRun(wh, jobRunId, {
    status: result.status,
    durationMs: result.durationMs,
    stepsSucceeded,
    error: result.error,
    failedStep: result.failedStep,
    reason: result.reason,
  });
  progress('job:done', { status: result.status });
  const level = result.status === 'succeeded' ? 'info' : 'error';
  runLog(level, `job run ${result.status}`, { run_date: runDate, duration_ms: result.durationMs, failed_step: result.failedStep, error: result.error, reason: result.reason });
  if (result.status === 'failed') {
    await options.notify?.({
      event: 'job_failed',
      severity: 'error',
      text: `${job.name}: run ${jobRunId} (run date ${runDate}) failed at step ${result.failedStep}: ${result.error}`,
      job: job.name,
      job_run_id: jobRunId,
      run_date: runDate,
      step: result.failedStep,
      error: result.error,
      attempts: result.steps.at(-1)?.attempts.length,
    });
  } else if (result.status === 'succeeded') {
    await options.notify?.({ event: 'job_succeeded', severity: 'info', text: `${job.name}: run ${jobRunId} (run date ${runDate}) succeeded in ${formatDuration(result.durationMs)}`, job: job.name, job_run_id: jobRunId, run_date: runDate });
  }
  return result;
}

function retryable(e: unknown): boolean {
  if (e instanceof PermanentError || e instanceof StepUnavailable) return false;
  if (e instanceof StepAborted) return e.kind === 'timeout';
  if (e instanceof AppError) return e.code !== 'VALIDATION' && e.code !== 'NOT_FOUND';
  return true;
}

async function runStep(
  wh: Warehouse,
  job: JobConfig,
  step: StepConfig,
  index: number,
  jobRunId: number,
  runDate: string,
  env: Record<string, string | undefined>,
  options: RunJobOptions,
  log: Logger,
  progress: (event: string, fields?: Record<string, unknown>) => void,
): Promise<StepRunResult> {
  const type = stepTypes.get(step.type)!;
  const started = Date.now();
  const state = new Map<string, unknown>();
  const attempts: AttemptRecord[] = [];
  const res: StepRunResult = { step: step.name, type: step.type, status: 'running', attempts, durationMs: 0 };
  await insertStepRun(wh, { jobRunId, index, step: step.name, type: step.type });
  log('info', 'step started', { type: step.type, retries: step.retries, timeout_ms: step.timeoutMs });
  progress('step:start', { step: step.name });
  const maxAttempts = step.retries + 1;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const at = Date.now();
    const rec: AttemptRecord = { attempt, started_at: new Date(at).toISOString(), duration_ms: 0 };
    attempts.push(rec);
    await updateStepRun(wh, jobRunId, index, { status: 'running', attempts: attempt, detail: { attempts } });
    let outcome: StepOutcome | undefined;
    let error: unknown;
    try {
      outcome = await runAttempt(wh, step, options.control, log, (signal, tracked) =>
        type.run(
          { wh: tracked, job: job.name, step: step.name, jobRunId, runDate, attempt, env, signal, state, log: childLogger(log, { attempt }), progress: (event, fields) => progress(event, { step: step.name, ...fields }) },
          step.options as never,
        ),
      );
    } catch (e) {
      error = e;
    }
    rec.duration_ms = Date.now() - at;
    if (outcome) {
      res.error = undefined; // earlier attempts' errors stay in the attempts list
      res.status = outcome.status;
      res.summary = outcome.summary;
      res.detail = outcome.detail;
      break;
    }
    const message = error instanceof Error ? error.message : String(error);
    rec.error = message;
    res.error = message;
    const failDetail = (error as { detail?: unknown } | undefined)?.detail;
    if (failDetail !== undefined) res.detail = failDetail;
    if (error instanceof StepUnavailable && step.optional) {
      res.status = 'skipped';
      res.summary = `skipped (optional): ${message}`;
      res.error = undefined;
      break;
    }
    if (error instanceof StepAborted && error.kind === 'shutdown') {
      res.status = 'cancelled';
      break;
    }
    const canRetry = retryable(error) && attempt < maxAttempts;
    if (!canRetry) {
      res.status = 'failed';
      if (maxAttempts > 1 && retryable(error)) res.error = `${message} (after ${attempt} attempts)`;
      log('error', 'step attempt failed', { attempt, of: maxAttempts, duration_ms: rec.duration_ms, error: message, retry: false });
      break;
    }
    const delay = backoffDelay(attempt, step.backoff, options.random);
    rec.backoff_ms = delay;
    log('warn', 'step attempt failed; retrying', { attempt, of: maxAttempts, duration_ms: rec.duration_ms, error: message, backoff_ms: delay });
    await updateStepRun(wh, jobRunId, index, { status: 'running', attempts: attempt, error: message, detail: { attempts } });
    progress('step:retry', { step: step.name, attempt, backoff_ms: delay });
    const waited = await sleep(delay, options.control?.stop);
    if (!waited) {
      res.status = 'cancelled';
      res.error = `shutdown requested while waiting to retry after: ${message}`;
      break;
    }
  }
  res.durationMs = Date.now() - started;
  const detail = { attempts, ...(res.detail && typeof res.detail === 'object' ? res.detail : res.detail !== undefined ? { result: res.detail } : {}) };
  await updateStepRun(wh, jobRunId, index, { status: res.status, attempts: attempts.length, durationMs: res.durationMs, error: res.error, summary: res.summary, detail });
  log(res.status === 'failed' ? 'error' : 'info', `step ${res.status}`, { type: step.type, attempts: attempts.length, duration_ms: res.durationMs, summary: res.summary, error: res.error });
  progress('step:done', { step: step.name, status: res.status });
  return res;
}

/**
 * A warehouse whose connections handed out during one attempt can be interrupted: DuckDB then aborts
 * the running statement, and the step's open transaction rolls back.
 */
function trackConnections(wh: Warehouse): { wh: Warehouse; interrupt: () => number } {
  const live = new Set<DuckDBConnection>();
  const tracked = Object.create(wh) as Warehouse;
  tracked.connect = async () => {
    const c = await wh.connect();
    live.add(c);
    return c;
  };
  tracked.release = (c: DuckDBConnection) => {
    live.delete(c);
    wh.release(c);
  };
  return {
    wh: tracked,
    interrupt: () => {
      for (const c of live) c.interrupt();
      return live.size;
    },
  };
}

/** One attempt with its timeout and the scheduler's hard stop; waits until the step has really stopped. */
async function runAttempt(
  wh: Warehouse,
  step: StepConfig,
  control: JobControl | undefined,
  log: Logger,
  fn: (signal: AbortSignal, tracked: Warehouse) => Promise<StepOutcome>,
): Promise<StepOutcome> {
  const ac = new AbortController();
  const tracked = trackConnections(wh);
  const abort = (reason: StepAborted) => {
    if (ac.signal.aborted) return;
    ac.abort(reason);
    const n = tracked.interrupt();
    log('warn', reason.message, { interrupted_connections: n });
  };
  const timer = setTimeout(() => abort(new StepAborted(`timed out after ${formatDuration(step.timeoutMs)}`, 'timeout')), step.timeoutMs);
  const onHardStop = () => abort(new StepAborted('rolled back: the shutdown grace period ended before the step finished', 'shutdown'));
  if (control?.abort.aborted) onHardStop();
  control?.abort.addEventListener('abort', onHardStop, { once: true });
  const work = fn(ac.signal, tracked.wh).then(
    (v) => ({ ok: true as const, v }),
    (e: unknown) => ({ ok: false as const, e }),
  );
  try {
    let settled: Awaited<typeof work> | undefined;
    while (!settled) {
      // After an abort, a step that ignores it is waited for (a retry must not write beside it), with a
      // warning each minute; on shutdown only for a while — exiting then is as safe as a crash.
      const limit = ac.signal.aborted ? ((ac.signal.reason as StepAborted).kind === 'shutdown' ? SHUTDOWN_ABORT_WAIT_MS : 60_000) : null;
      const timer = new AbortController();
      settled = await (limit === null
        ? Promise.race([work, new Promise<undefined>((r) => ac.signal.addEventListener('abort', () => r(undefined), { once: true }))])
        : Promise.race([work, sleep(limit, timer.signal).then(() => undefined)]));
      timer.abort();
      if (!settled && limit !== null) {
        if ((ac.signal.reason as StepAborted).kind === 'shutdown') throw ac.signal.reason;
        log('warn', 'step has not stopped after its abort; still waiting', { step: step.name });
        tracked.interrupt();
      }
    }
    if (settled.ok) {
      // Finished just as the timeout hit: what it committed is done; report it as it is.
      return settled.v;
    }
    if (ac.signal.aborted) throw ac.signal.reason;
    throw settled.e;
  } finally {
    clearTimeout(timer);
    control?.abort.removeEventListener('abort', onHardStop);
  }
}

export interface BackfillOptions extends Omit<RunJobOptions, 'runDate' | 'trigger' | 'scheduledFor'> {
  /** Go on with the next date when one fails (default: stop at the first failure). */
  continueOnError?: boolean;
  onRun?: (r: JobRunResult) => void;
}

/**
 * Re-runs a job for each date from..to (inclusive, oldest first) with RUN_DATE set to that date —
 * for date-partitioned loads (`"path": "exports/${RUN_DATE}/orders.csv"`). Stops at the first failure
 * unless continueOnError.
 *
 * @example
 * await backfill(wh, config, 'nightly', '2026-11-01', '2026-11-07');
 */
export async function backfill(wh: Warehouse, config: JobsConfig, jobName: string, from: string, to: string, options: BackfillOptions = {}): Promise<JobRunResult[]> {
  getJob(config, jobName);
  for (const [flag, d] of [['--from', from], ['--to', to]] as const) if (!isDate(d)) throw new AppError('VALIDATION', `${flag} must be a date YYYY-MM-DD (got "${d}")`);
  if (from > to) throw new AppError('VALIDATION', `--from ${from} is after --to ${to}`);
  const dates = dateRange(from, to);
  if (dates.length > 3660) throw new AppError('VALIDATION', `backfill of ${dates.length} days is more than 10 years; split it`);
  const results: JobRunResult[] = [];
  for (const runDate of dates) {
    if (options.control?.stop.aborted) break;
    const r = await runJob(wh, config, jobName, { ...options, trigger: 'backfill', runDate });
    results.push(r);
    options.onRun?.(r);
    if (r.status !== 'succeeded' && !options.continueOnError) break;
  }
  return results;
}
