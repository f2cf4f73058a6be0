import cron from 'node-cron';
import type { Command } from 'commander';
import { AppError } from '../../errors.ts';
import {
  checkFreshness,
  createNotifier,
  defaultJobsFile,
  forceUnlock,
  formatDuration,
  freshnessReport,
  freshnessRules,
  inspectLock,
  jobRunRows,
  jsonLogger,
  loadJobsConfig,
  stepRunRows,
  withWriter,
  type SourceFreshness,
} from '../../scheduler/index.ts';
import type { Warehouse } from '../../warehouse/index.ts';
import { formatOf, formatRows, type OutputFormat } from '../format.ts';
import { intOption } from '../main.ts';
import type { RegisterCommands } from './index.ts';

const formatOption = (cmd: Command) => cmd.option('--format <format>', 'table | csv | json', 'table');
const configOption = (cmd: Command) => cmd.option('--config <file>', 'jobs file (env CRM_JOBS, default config/jobs.json)');

/** Next trigger of a cron expression in a time zone (ISO UTC). */
function nextRun(expr: string, timezone: string): string | null {
  const task = cron.createTask(expr, () => undefined, { timezone });
  try {
    return task.getNextRuns(1)[0]?.toISOString() ?? null;
  } finally {
    void task.destroy();
  }
}

/** Freshness rows for a table: age as "1d2h", status. */
export function freshnessRows(sources: SourceFreshness[]) {
  return sources.map((s) => ({
    source: s.source,
    entity: s.entity,
    status: s.status,
    fresh_as_of: s.fresh_as_of,
    age: s.age_s === null ? 'never loaded' : formatDuration(s.age_s * 1000),
    warn_after: formatDuration(s.warn_after_s * 1000),
    error_after: formatDuration(s.error_after_s * 1000),
    basis: s.basis === 'field' ? `max(${s.loaded_at_field})` : 'last load',
  }));
}

/** The source freshness table, when there are rules (after `crm runs`; src/cli/commands/ingest.ts calls this). */
export async function printFreshness(wh: Warehouse, out: (t: string) => void): Promise<void> {
  const f = await freshnessReport(wh);
  if (f.sources.length) out(`\nSource freshness (${f.status}):\n${formatRows(freshnessRows(f.sources), 'table')}`);
}

/** Job runs and freshness for `crm runs --jobs` (src/cli/commands/ingest.ts calls this). */
export async function printJobRuns(wh: Warehouse, out: (t: string) => void, o: { limit: number; job?: string; format: OutputFormat }): Promise<void> {
  out(formatRows(await jobRunRows(wh, { limit: o.limit, job: o.job }), o.format));
  if (o.format === 'table') await printFreshness(wh, out);
}

export const register: RegisterCommands = (program, ctx, setExit) => {
  const jobs = program.command('jobs').description('scheduled jobs: configuration, run history, freshness, writer lock');

  configOption(jobs.command('list').description('the configured jobs, their next trigger and latest run')).action(async (opts: { config?: string }) => {
    const config = loadJobsConfig(opts.config ?? defaultJobsFile());
    let latest = new Map<string, { status: string; run: number; started_at: string }>();
    let note = '';
    const lock = inspectLock(ctx.config.db);
    if (lock.state === 'held' && !lock.ours) note = `(run history not shown: the warehouse is in use by pid ${lock.info.pid} (${lock.info.owner}); see its /status page)`;
    else {
      const wh = await ctx.warehouse();
      const rows = await wh.all<{ job: string; status: string; run: number; started_at: string }>(
        "select job, arg_max(status, job_run_id) as status, max(job_run_id) as run, max(started_at) as started_at from job_runs where status <> 'skipped' group by job",
      );
      latest = new Map(rows.map((r) => [r.job, r]));
    }
    ctx.out(
      formatRows(
        [...config.jobs.values()].map((j) => ({
          job: j.name,
          enabled: j.enabled ? 'yes' : 'no',
          cron: j.cron,
          timezone: j.timezone,
          next_run: j.enabled ? nextRun(j.cron, j.timezone) : null,
          steps: j.steps.map((s) => `${s.name}${s.optional ? '?' : ''}`).join(' → '),
          last_run: latest.get(j.name)?.run ?? null,
          last_status: latest.get(j.name)?.status ?? null,
        })),
        'table',
      ),
    );
    if (note) ctx.err(note);
  });

  configOption(jobs.command('check').description('validate the jobs file; show steps, retry policies and freshness rules')).action((opts: { config?: string }) => {
    const config = loadJobsConfig(opts.config ?? defaultJobsFile());
    const rows = [...config.jobs.values()].flatMap((j) =>
      j.steps.map((s, i) => ({
        job: i === 0 ? j.name : '',
        step: s.name,
        type: s.type,
        optional: s.optional ? 'yes' : 'no',
        retries: s.retries,
        backoff: `${formatDuration(s.backoff.initial)} ×${s.backoff.factor} ≤ ${formatDuration(s.backoff.max)}`,
        timeout: formatDuration(s.timeoutMs),
      })),
    );
    ctx.out(formatRows(rows, 'table'));
    const { rules, problems } = freshnessRules(config);
    ctx.out(
      `\nFreshness rules (checked ${config.freshness.checkCron}):\n${formatRows(
        rules.map((r) => ({ source: r.source, warn_after: formatDuration(r.warnAfterMs), error_after: formatDuration(r.errorAfterMs), basis: r.loadedAtField ? `max(${r.loadedAtField})` : 'last load' })),
        'table',
      )}`,
    );
    ctx.out(config.webhook ? `webhook: ${new URL(config.webhook.url).host} on ${config.webhook.events.join(', ')}` : 'webhook: none (notifications go to the log only)');
    for (const p of problems) ctx.err(`warning: ${p}`);
    ctx.out(`${config.file}: ok`);
  });

  formatOption(
    jobs
      .command('runs')
      .description('job runs, newest first (skipped triggers included)')
      .option('--job <name>', 'only this job')
      .option('--status <status>', 'running | succeeded | failed | skipped | interrupted | cancelled')
      .option('--limit <n>', 'how many', intOption(1, 10_000), 20),
  ).action(async (opts: { job?: string; status?: string; limit: number; format: string }) => {
    const wh = await ctx.warehouse();
    ctx.out(formatRows(await jobRunRows(wh, opts), formatOf(opts.format)));
  });

  formatOption(jobs.command('show').description('one job run: its steps, attempts and loads').argument('<run>', 'job run id', intOption(1))).action(
    async (run: number, opts: { format: string }) => {
      const wh = await ctx.warehouse();
      const [r] = await jobRunRows(wh, { limit: 1_000_000 }).then((rows) => rows.filter((x) => x.run === run));
      if (!r) throw new AppError('NOT_FOUND', `no job run ${run} (see: crm jobs runs)`);
      const format = formatOf(opts.format);
      const steps = await stepRunRows(wh, run);
      if (format === 'json') {
        const detail = await wh.all<{ step: string; detail: string | null }>('select step, detail::varchar as detail from job_step_runs where job_run_id = $run order by step_index', { run });
        ctx.out(JSON.stringify({ ...r, steps: steps.map((s, i) => ({ ...s, detail: detail[i]?.detail ? JSON.parse(detail[i].detail!) : null })) }, null, 2));
        return;
      }
      ctx.out(`job ${r.job} run ${r.run} (${r.trigger}, run date ${r.run_date}): ${r.status}${r.note ? ` — ${r.note}` : ''}`);
      ctx.out(formatRows(steps, format));
      const loads = await wh.all(
        `select p.run_id as pipeline_run, p.pipeline, p.status, p.rows_read as read, p.rows_inserted as inserted, p.rows_updated as updated,
           p.rows_deleted as deleted, p.rows_quarantined as quarantined, round(p.duration_ms / 1000, 2) as seconds
         from job_step_runs s, unnest(cast(json_extract(s.detail, '$.pipelines[*].run_id') as bigint[])) as u(id)
         join pipeline_runs p on p.run_id = u.id
         where s.job_run_id = $run order by p.run_id`,
        { run },
      );
      if (loads.length) ctx.out(`\nLoads:\n${formatRows(loads, format)}`);
    },
  );

  formatOption(
    configOption(
      jobs
        .command('freshness')
        .description('freshness per source (warn/error after an age); --check re-reads the rules and notifies on changes')
        .option('--check', 'check now with the rules of the jobs file'),
    ),
  ).action(async (opts: { config?: string; check?: boolean; format: string }) => {
    const wh = await ctx.warehouse();
    let sources: SourceFreshness[];
    if (opts.check) {
      const config = loadJobsConfig(opts.config ?? defaultJobsFile());
      const log = jsonLogger((l) => ctx.err(l), { component: 'freshness' });
      const { rules, problems } = freshnessRules(config);
      for (const p of problems) ctx.err(`warning: ${p}`);
      sources = await withWriter(wh, 'crm jobs freshness --check', () => checkFreshness(wh, rules, { notify: createNotifier(config, log), log }));
    } else sources = (await freshnessReport(wh)).sources;
    if (!sources.length) {
      ctx.out('no freshness rules yet (run `crm jobs freshness --check`, or start the scheduler)');
      return;
    }
    ctx.out(formatRows(freshnessRows(sources), formatOf(opts.format)));
    if (sources.some((s) => s.status === 'error')) setExit(1);
  });

  jobs
    .command('unlock')
    .description("remove the warehouse's writer lock file left by a process that is gone")
    .option('--force', 'also when the holder looks alive (e.g. its host was lost)')
    .action((opts: { force?: boolean }) => {
      const { removed, state } = forceUnlock(ctx.config.db, opts.force);
      if (!removed) ctx.out('no writer lock: nothing to do');
      else if (state.state === 'stale') ctx.out(`removed a stale lock (${state.why})`);
      else if (state.state === 'held') ctx.out(`removed the lock of pid ${state.info.pid} on ${state.info.host} (${state.info.owner}, since ${state.info.started_at})`);
    });
};
