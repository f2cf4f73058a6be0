import { appendFileSync } from 'node:fs';
import type { Command } from 'commander';
import { AppError } from '../../errors.ts';
import {
  acquireWriterLock,
  backfill,
  createNotifier,
  defaultJobsFile,
  formatDuration,
  getJob,
  jsonLogger,
  loadJobsConfig,
  runJob,
  startScheduler,
  type JobControl,
  type JobRunResult,
  type JobsConfig,
  type Logger,
} from '../../scheduler/index.ts';
import type { CliContext } from '../context.ts';
import { formatRows } from '../format.ts';
import type { RegisterCommands } from './index.ts';

const configOption = (cmd: Command) => cmd.option('--config <file>', 'jobs file (env CRM_JOBS, default config/jobs.json)');

/** JSON log lines to --log-file (appended) and/or stderr. */
function cliLogger(opts: { logFile?: string; quiet?: boolean }, ctx: CliContext, base: Record<string, string>): Logger {
  const write = (line: string) => {
    if (opts.logFile) appendFileSync(opts.logFile, `${line}\n`);
    if (!opts.quiet) ctx.err(line);
  };
  return jsonLogger(write, base);
}

/** SIGTERM/SIGINT → graceful stop; a second signal → roll back the running step now. */
function onSignals(first: (signal: string) => void, second: (signal: string) => void): () => void {
  let count = 0;
  const handler = (signal: string) => (++count === 1 ? first(signal) : second(signal));
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
  return () => {
    process.off('SIGTERM', handler);
    process.off('SIGINT', handler);
  };
}

/** Takes the writer lock file before the warehouse is opened, so a conflict names the holder. */
async function openAsWriter(ctx: CliContext, owner: string) {
  const lock = acquireWriterLock(ctx.config.db, owner);
  try {
    return { lock, wh: await ctx.warehouse() };
  } catch (e) {
    lock.release();
    throw e;
  }
}

function controller(log: Logger, config: JobsConfig): { control: JobControl; dispose: () => void } {
  const stop = new AbortController();
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const dispose = onSignals(
    (signal) => {
      log('info', `${signal}: finishing the running step, then stopping (again to roll it back now)`, { grace_ms: config.shutdownGraceMs });
      stop.abort();
      timer = setTimeout(() => abort.abort(), config.shutdownGraceMs).unref();
    },
    (signal) => {
      log('warn', `${signal} again: rolling back the running step`);
      abort.abort();
    },
  );
  return {
    control: { stop: stop.signal, abort: abort.signal },
    dispose: () => {
      dispose();
      if (timer) clearTimeout(timer);
    },
  };
}

export function stepRows(r: JobRunResult) {
  return r.steps.map((s) => ({
    step: s.step,
    type: s.type,
    status: s.status,
    attempts: s.attempts.length,
    seconds: Number((s.durationMs / 1000).toFixed(2)),
    result: s.error ?? s.summary ?? '',
  }));
}

const resultLine = (r: JobRunResult) =>
  `job ${r.job} run ${r.jobRunId} (run date ${r.runDate}): ${r.status}${r.status === 'succeeded' ? ` in ${formatDuration(r.durationMs)}` : ''}${r.error ? ` — ${r.failedStep}: ${r.error}` : r.reason ? ` — ${r.reason}` : ''}`;

export const register: RegisterCommands = (program, ctx, setExit) => {
  configOption(
    program
      .command('schedule')
      .description('run the job scheduler (cron triggers from the jobs file) until SIGTERM/SIGINT; logs are JSON lines')
      .option('--job <name...>', 'only these jobs (default: every enabled job)')
      .option('--log-file <file>', 'also append the JSON log lines to this file')
      .option('--no-resume', 'do not re-run jobs whose latest run was interrupted'),
  ).action(async (opts: { config?: string; job?: string[]; logFile?: string; resume: boolean }) => {
    const config = loadJobsConfig(opts.config ?? defaultJobsFile());
    const write = (line: string) => {
      ctx.out(line);
      if (opts.logFile) appendFileSync(opts.logFile, `${line}\n`);
    };
    const { lock, wh } = await openAsWriter(ctx, 'crm schedule');
    try {
      const scheduler = await startScheduler({ warehouse: wh, config, log: write, jobs: opts.job, resume: opts.resume });
      const log = jsonLogger(write, { component: 'cli' });
      await new Promise<void>((resolve) => {
        const dispose = onSignals(
          (signal) => {
            log('info', `${signal}: stopping the scheduler (again to roll back the running step now)`);
            void scheduler.stop().then(() => {
              dispose();
              resolve();
            });
          },
          (signal) => {
            log('warn', `${signal} again: rolling back the running step`);
            void scheduler.stop({ graceMs: 0 });
          },
        );
      });
    } finally {
      lock.release();
    }
  });

  configOption(
    program
      .command('run-job')
      .description('run a job now (its whole chain of steps); exit 1 when it fails')
      .argument('<name>', 'job name from the jobs file')
      .option('--date <YYYY-MM-DD>', 'the run date (${RUN_DATE}); default: from today and the job\'s runDateOffsetDays')
      .option('--log-file <file>', 'append the JSON log lines to this file')
      .option('--quiet', 'no log lines on stderr'),
  ).action(async (name: string, opts: { config?: string; date?: string; logFile?: string; quiet?: boolean }) => {
    const config = loadJobsConfig(opts.config ?? defaultJobsFile());
    getJob(config, name);
    const log = cliLogger(opts, ctx, { component: 'run-job' });
    const { lock, wh } = await openAsWriter(ctx, `crm run-job ${name}`);
    const { control, dispose } = controller(log, config);
    try {
      const r = await runJob(wh, config, name, { trigger: 'manual', runDate: opts.date, log, notify: createNotifier(config, log), control });
      ctx.out(formatRows(stepRows(r), 'table'));
      ctx.out(resultLine(r));
      if (r.status !== 'succeeded') setExit(1);
    } finally {
      dispose();
      lock.release();
    }
  });

  configOption(
    program
      .command('backfill')
      .description('re-run a job for each date of a range (date-partitioned loads read ${RUN_DATE}); oldest first')
      .requiredOption('--job <name>', 'job name')
      .requiredOption('--from <YYYY-MM-DD>', 'first run date')
      .requiredOption('--to <YYYY-MM-DD>', 'last run date (inclusive)')
      .option('--continue-on-error', 'go on with the next date when one fails')
      .option('--log-file <file>', 'append the JSON log lines to this file')
      .option('--quiet', 'no log lines on stderr'),
  ).action(async (opts: { config?: string; job: string; from: string; to: string; continueOnError?: boolean; logFile?: string; quiet?: boolean }) => {
    const config = loadJobsConfig(opts.config ?? defaultJobsFile());
    getJob(config, opts.job);
    if (opts.from > opts.to) throw new AppError('VALIDATION', `--from ${opts.from} is after --to ${opts.to}`);
    const log = cliLogger(opts, ctx, { component: 'backfill' });
    const { lock, wh } = await openAsWriter(ctx, `crm backfill ${opts.job}`);
    const { control, dispose } = controller(log, config);
    try {
      const results = await backfill(wh, config, opts.job, opts.from, opts.to, {
        continueOnError: opts.continueOnError,
        log,
        notify: createNotifier(config, log),
        control,
        onRun: (r) => ctx.err(resultLine(r)),
      });
      ctx.out(
        formatRows(
          results.map((r) => ({ run: r.jobRunId, run_date: r.runDate, status: r.status, seconds: Number((r.durationMs / 1000).toFixed(2)), failed_step: r.failedStep ?? null, error: r.error ?? r.reason ?? null })),
          'table',
        ),
      );
      const dates = Math.round((Date.parse(opts.to) - Date.parse(opts.from)) / 86_400_000) + 1;
      const ok = results.filter((r) => r.status === 'succeeded').length;
      ctx.out(`backfill ${opts.job} ${opts.from}..${opts.to}: ${ok} of ${dates} dates succeeded${results.length < dates ? `, ${dates - results.length} not run` : ''}`);
      if (ok < dates) setExit(1);
    } finally {
      dispose();
      lock.release();
    }
  });
};
