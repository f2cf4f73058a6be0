import { resolve } from 'node:path';
import cron, { type ScheduledTask, type TaskContext } from 'node-cron';
import { AppError } from '../errors.ts';
import type { Warehouse } from '../warehouse/index.ts';
import { loadJobsConfig, type JobConfig, type JobsConfig } from './config.ts';
import { checkFreshness, freshnessRules, type SourceFreshness } from './freshness.ts';
import { acquireWriterLock, withWriter, type WriterLock } from './lock.ts';
import { jsonLogger, type Logger } from './log.ts';
import { createNotifier, type Notifier } from './notify.ts';
import { recoverInterrupted } from './recovery.ts';
import { sleep } from './retry.ts';
import { runDateFor } from './run-date.ts';
import { jobActive, recordSkipped, reportRecovered, runJob, type JobControl, type JobRunResult, type RunJobOptions } from './runner.ts';
import { latestRun } from './store.ts';

/** Warehouses (resolved paths, or in-memory instances) with a scheduler in this process. */
const runningSchedulers = new Set<unknown>();

export interface SchedulerOptions {
  warehouse: Warehouse;
  /** A parsed jobs config, or the path of a jobs file. */
  config: JobsConfig | string;
  /** Where JSON log lines go (default: stdout). */
  log?: (line: string) => void;
  /** A structured logger instead of `log`. */
  logger?: Logger;
  /** Replaces the webhook notifier (tests). */
  notify?: Notifier;
  /** Only these jobs (default: every enabled job). */
  jobs?: string[];
  /** Re-run jobs whose latest run was interrupted or cancelled (per job: resumeInterrupted). Default true. */
  resume?: boolean;
  env?: NodeJS.ProcessEnv;
  /** Called after every job run (including skipped triggers). */
  onRun?: (r: JobRunResult) => void;
}

export interface SchedulerStatus {
  jobs: { job: string; cron: string; timezone: string; nextRun: string | null; running: { jobRunId: number | null; since: string } | null }[];
  stopping: boolean;
}

export interface SchedulerHandle {
  /**
   * Stops taking triggers, lets the running step finish (up to graceMs, default the config's
   * shutdownGrace), then rolls it back; releases the writer lock. Resolves when all of that is done.
   */
  stop(options?: { graceMs?: number }): Promise<void>;
  /** Runs a job now (manual trigger), e.g. from an API route; a run of it already going → skipped. */
  runNow(job: string, options?: Pick<RunJobOptions, 'runDate' | 'onProgress'>): Promise<JobRunResult>;
  /** Checks source freshness now (notifies on changes). */
  checkFreshness(): Promise<SourceFreshness[]>;
  status(): SchedulerStatus;
  /** Resolves when every job run started so far has finished (tests, CLI). */
  idle(): Promise<void>;
}

/**
 * Starts the cron triggers of the enabled jobs over an open warehouse. Takes the warehouse's writer
 * lock file for as long as it runs (a second scheduler gets "locked by pid N …"), recovers runs a
 * crashed process left behind, resumes interrupted jobs, and checks freshness on its own cron and
 * after every run. Embeddable: `crm serve` can start it beside the HTTP server.
 *
 * @example
 * const scheduler = await startScheduler({ warehouse: wh, config: 'config/jobs.json' });
 * process.once('SIGTERM', () => scheduler.stop());
 */
export async function startScheduler(options: SchedulerOptions): Promise<SchedulerHandle> {
  const wh = options.warehouse;
  const config = typeof options.config === 'string' ? loadJobsConfig(options.config, options.env) : options.config;
  const log: Logger = options.logger ?? jsonLogger(options.log ?? ((line) => process.stdout.write(`${line}\n`)), { component: 'scheduler' });
  const notify = options.notify ?? createNotifier(config, log);
  const env = options.env ?? process.env;
  const selected = options.jobs ?? [...config.jobs.values()].filter((j) => j.enabled).map((j) => j.name);
  for (const name of selected) if (!config.jobs.has(name)) throw new AppError('VALIDATION', `no job "${name}" in ${config.file}`);

  const key = wh.path === ':memory:' ? wh : resolve(wh.path);
  if (runningSchedulers.has(key)) throw new AppError('CONFLICT', `a scheduler is already running over ${wh.path} in this process`);
  const lock: WriterLock | null = wh.path === ':memory:' ? null : acquireWriterLock(wh.path, `crm scheduler (${selected.join(', ')})`, {
    onStale: (why, info) => log('warn', 'took over a stale writer lock', { why, stale_pid: info?.pid, stale_host: info?.host, stale_since: info?.started_at }),
  });

  const stopCtl = new AbortController();
  const abortCtl = new AbortController();
  const control: JobControl = { stop: stopCtl.signal, abort: abortCtl.signal };
  const inFlight = new Set<Promise<unknown>>();
  const track = <T>(p: Promise<T>): Promise<T> => {
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p)).catch(() => undefined);
    return p;
  };
  const { rules, problems } = freshnessRules(config, env);
  for (const p of problems) log('warn', 'freshness: cannot read a pipeline file', { error: p });

  let freshnessChain: Promise<unknown> = Promise.resolve();
  const runFreshness = (): Promise<SourceFreshness[]> => {
    const next = freshnessChain.then(() => (rules.length ? checkFreshness(wh, rules, { notify, log }) : Promise.resolve([])));
    freshnessChain = next.catch((e) => log('error', 'freshness check failed', { error: (e as Error).message }));
    return next;
  };

  const afterRun = (r: JobRunResult) => {
    options.onRun?.(r);
    if (r.status !== 'skipped') void track(runFreshness().catch(() => undefined));
  };

  const start = (job: JobConfig, o: RunJobOptions): Promise<JobRunResult> =>
    track(
      runJob(wh, config, job.name, { ...o, log, notify, control, env }).then((r) => {
        afterRun(r);
        return r;
      }),
    );

  // Recover what a crashed predecessor left, before any trigger can fire.
  try {
    await withWriter(wh, 'scheduler start', async () => reportRecovered(await recoverInterrupted(wh), log, notify));
  } catch (e) {
    lock?.release();
    throw e;
  }
  runningSchedulers.add(key);

  const tasks: { job: JobConfig; task: ScheduledTask }[] = [];
  const cronLogger = {
    info: () => undefined,
    debug: () => undefined,
    warn: (m: string) => log('debug', `node-cron: ${m}`),
    error: (m: string | Error) => log('error', `node-cron: ${m instanceof Error ? m.message : m}`),
  };
  for (const name of selected) {
    const job = config.jobs.get(name)!;
    const task = cron.schedule(
      job.cron,
      async (ctx: TaskContext) => {
        if (stopCtl.signal.aborted) return;
        try {
          await start(job, { trigger: 'schedule', scheduledFor: ctx.date, runDate: runDateFor(job, ctx.date) });
        } catch (e) {
          log('error', 'job run could not start', { job: job.name, error: (e as Error).message });
        }
      },
      { name: `job:${job.name}`, timezone: job.timezone, noOverlap: true, missedExecutionTolerance: config.missedToleranceMs, logger: cronLogger },
    );
    const skip = (reason: (ctx: TaskContext) => string) => (ctx: TaskContext) => {
      if (stopCtl.signal.aborted) return;
      void track(
        recordSkipped(wh, job, { trigger: 'schedule', scheduledFor: ctx.date, reason: reason(ctx), log, notify })
          .then((r) => options.onRun?.(r))
          .catch((e) => log('error', 'could not record a skipped trigger', { job: job.name, error: (e as Error).message })),
      );
    };
    task.on(
      'execution:overlap',
      skip(() => {
        const running = jobActive(wh, job.name);
        return `overlap: ${running?.jobRunId ? `run ${running.jobRunId}` : 'the previous run'} still running${running ? ` since ${running.since.toISOString()}` : ''}`;
      }),
    );
    task.on('execution:missed', skip((ctx) => `missed: the process was busy or asleep at ${ctx.date.toISOString()} (more than ${Math.round(config.missedToleranceMs / 1000)}s late)`));
    tasks.push({ job, task });
    log('info', 'job scheduled', { job: job.name, cron: job.cron, timezone: job.timezone, next_run: task.getNextRun()?.toISOString() ?? null });
  }
  const freshnessTask = rules.length
    ? cron.schedule(
        config.freshness.checkCron,
        () => {
          if (!stopCtl.signal.aborted) void track(runFreshness().catch(() => undefined));
        },
        { name: 'freshness', timezone: config.timezone, noOverlap: true, logger: cronLogger },
      )
    : null;

  log('info', 'scheduler started', { jobs: selected.length, freshness_sources: rules.length, pid: process.pid });
  void track(runFreshness().catch(() => undefined));

  if (options.resume ?? true) {
    for (const { job } of tasks) {
      if (!job.resumeInterrupted) continue;
      const last = await latestRun(wh, job.name);
      if (last && (last.status === 'interrupted' || last.status === 'cancelled')) {
        log('info', 'resuming an interrupted job run', { job: job.name, resumes_run_id: last.job_run_id, run_date: last.run_date });
        void start(job, { trigger: 'resume', runDate: last.run_date, resumesRunId: last.job_run_id }).catch((e) =>
          log('error', 'resume failed to start', { job: job.name, error: (e as Error).message }),
        );
      }
    }
  }

  let stopping: Promise<void> | null = null;
  const handle: SchedulerHandle = {
    stop(o = {}) {
      if (stopping) {
        if (o.graceMs === 0) abortCtl.abort(); // asked again, impatiently: roll back now
        return stopping;
      }
      stopping = (async () => {
        const grace = o.graceMs ?? config.shutdownGraceMs;
        log('info', 'scheduler stopping', { running: inFlight.size, grace_ms: grace });
        for (const { task } of tasks) task.destroy();
        freshnessTask?.destroy();
        stopCtl.abort();
        const all = () => Promise.allSettled([...inFlight]);
        const timer = new AbortController();
        const finished = await Promise.race([all().then(() => true), sleep(grace, timer.signal).then(() => false)]);
        timer.abort(); // no timer may keep the process alive after the stop
        if (!finished) {
          log('warn', 'grace period over: rolling back the running step', { grace_ms: grace });
          abortCtl.abort();
          await all();
        }
        await freshnessChain.catch(() => undefined);
        lock?.release();
        runningSchedulers.delete(key);
        log('info', 'scheduler stopped', {});
      })();
      return stopping;
    },
    runNow(name, o = {}) {
      if (stopCtl.signal.aborted) return Promise.reject(new AppError('CONFLICT', 'the scheduler is shutting down'));
      const job = config.jobs.get(name);
      if (!job) return Promise.reject(new AppError('NOT_FOUND', `no job "${name}" in ${config.file}`));
      return start(job, { trigger: 'manual', ...o });
    },
    checkFreshness: () => runFreshness(),
    status: () => ({
      stopping: stopCtl.signal.aborted,
      jobs: tasks.map(({ job, task }) => {
        const running = jobActive(wh, job.name);
        return {
          job: job.name,
          cron: job.cron,
          timezone: job.timezone,
          nextRun: stopCtl.signal.aborted ? null : (task.getNextRun()?.toISOString() ?? null),
          running: running ? { jobRunId: running.jobRunId, since: running.since.toISOString() } : null,
        };
      }),
    }),
    async idle() {
      while (inFlight.size) await Promise.allSettled([...inFlight]);
    },
  };
  return handle;
}
