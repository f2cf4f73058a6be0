import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import cron from 'node-cron';
import YAML from 'yaml';
import { z } from 'zod';
import { fromZodError, ValidationError } from '../errors.ts';
import { interpolateEnv } from '../ingest/index.ts';
import { stepTypes } from './steps/index.ts';

/**
 * The jobs file (`config/jobs.json`): jobs as data. Durations are numbers of milliseconds or
 * strings such as "500ms", "30s", "15m", "2h", "1d". See docs/scheduler.md for every key.
 */

const durationPattern = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/;
const unitMs: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "90s" → 90000; a number is taken as milliseconds. */
export function parseDuration(v: string | number): number {
  if (typeof v === 'number') return v;
  const m = durationPattern.exec(v.trim());
  if (!m) throw new Error(`"${v}" is not a duration (e.g. 500ms, 30s, 15m, 2h, 1d)`);
  return Math.round(Number(m[1]) * unitMs[m[2]]);
}

/** 5400000 → "1h30m": durations in messages, the way the config writes them. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const parts: string[] = [];
  let rest = Math.round(ms / 1000);
  for (const [unit, s] of [['d', 86_400], ['h', 3600], ['m', 60], ['s', 1]] as const) {
    if (rest >= s) {
      parts.push(`${Math.floor(rest / s)}${unit}`);
      rest %= s;
    }
  }
  return parts.join('');
}

const duration = z
  .union([z.number().int().min(0), z.string()])
  .transform((v, ctx) => {
    try {
      return parseDuration(v);
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: (e as Error).message });
      return z.NEVER;
    }
  });

const timezone = z.string().refine(
  (tz) => {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  },
  { message: 'not an IANA time zone (e.g. UTC, Europe/Berlin, America/New_York)' },
);

const cronExpr = z.string().superRefine((expr, ctx) => {
  const v = cron.validateDetailed(expr);
  if (!v.valid) ctx.addIssue({ code: 'custom', message: `invalid cron expression "${expr}": ${v.errors.map((e) => `${e.field}: ${e.message}`).join('; ')}` });
});

const slug = z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'lowercase letters, digits, "_" or "-"');

export const backoffSchema = z
  .object({
    /** Wait before the first retry. */
    initial: duration.default(30_000),
    /** Each further retry waits this many times longer… */
    factor: z.number().min(1).max(10).default(2),
    /** …but never longer than this. */
    max: duration.default(600_000),
    /** Random spread, 0..1: 0.1 waits 90%..110% of the computed delay (spreads retries of many jobs). */
    jitter: z.number().min(0).max(1).default(0),
  })
  .strict();
export type Backoff = z.infer<typeof backoffSchema>;

const stepCommon = {
  /** Unique within the job; shown in runs and logs. Defaults to the type (plus a number when repeated). */
  name: slug.optional(),
  type: z.string().min(1),
  /** Skip instead of fail when the step's feature is not part of this installation (or has nothing to do). */
  optional: z.boolean().default(false),
  /** Extra attempts after a failure (default: defaults.retries). */
  retries: z.int().min(0).max(20).optional(),
  backoff: backoffSchema.partial().optional(),
  /** Per attempt; the step is rolled back and counts as failed when it runs longer. */
  timeout: duration.optional(),
  /** Environment for ${VAR} interpolation in pipeline files and commands, on top of the job's. */
  env: z.record(z.string(), z.string()).default({}),
};

export const stepSchema = z.object(stepCommon).loose();
export type StepConfigInput = z.input<typeof stepSchema>;

const jobSchema = z
  .object({
    description: z.string().optional(),
    cron: cronExpr,
    /** Time zone of the cron expression and of RUN_DATE (default: the file's timezone). */
    timezone: timezone.optional(),
    enabled: z.boolean().default(true),
    /** RUN_DATE = the trigger's local date minus this many days (1: a 02:00 run loads yesterday). */
    runDateOffsetDays: z.int().min(0).max(366).default(1),
    /** On scheduler start, run again a job whose latest run was interrupted (crash) or cancelled (shutdown). */
    resumeInterrupted: z.boolean().default(true),
    env: z.record(z.string(), z.string()).default({}),
    steps: z.array(stepSchema).min(1),
  })
  .strict();

const freshnessRule = z
  .object({
    /** Pipeline name (as in pipeline_runs). */
    source: z.string().min(1),
    warnAfter: duration,
    errorAfter: duration,
    /** Measure the newest value of this timestamp field of the entity (rows this pipeline loaded) instead of the load time. */
    loadedAtField: z.string().regex(/^[a-z_][a-z0-9_]*$/).optional(),
  })
  .strict()
  .refine((r) => r.errorAfter >= r.warnAfter, { message: 'errorAfter must not be shorter than warnAfter', path: ['errorAfter'] });

export const notifyEvents = ['job_failed', 'job_skipped', 'job_interrupted', 'job_succeeded', 'source_stale', 'source_recovered'] as const;
export type NotifyEvent = (typeof notifyEvents)[number];

export const jobsConfigSchema = z
  .object({
    $schema: z.string().optional(),
    /** Default time zone of the jobs. */
    timezone: timezone.default('UTC'),
    defaults: z
      .object({
        retries: z.int().min(0).max(20).default(2),
        backoff: backoffSchema.default({ initial: 30_000, factor: 2, max: 600_000, jitter: 0 }),
        timeout: duration.default(2 * 3_600_000),
      })
      .strict()
      .default({ retries: 2, backoff: { initial: 30_000, factor: 2, max: 600_000, jitter: 0 }, timeout: 7_200_000 }),
    /** On SIGTERM/SIGINT: how long the running step may take to finish before it is rolled back. */
    shutdownGrace: duration.default(300_000),
    /** How late (event loop busy, machine asleep) a trigger may still fire; later ones are recorded as skipped (missed). */
    missedTolerance: duration.default(300_000),
    jobs: z.record(slug, jobSchema),
    freshness: z
      .object({
        /** When the scheduler re-checks freshness (it also checks after every job run). */
        checkCron: cronExpr.default('*/15 * * * *'),
        /** Thresholds for every pipeline the enabled jobs load, unless a source rule says otherwise. */
        default: z.object({ warnAfter: duration, errorAfter: duration }).strict().optional(),
        sources: z.array(freshnessRule).default([]),
      })
      .strict()
      .default({ checkCron: '*/15 * * * *', sources: [] }),
    notify: z
      .object({
        webhook: z
          .object({
            /** POSTed a JSON body; ${VAR} reads the environment (an empty URL disables the webhook). */
            url: z.string(),
            headers: z.record(z.string(), z.string()).default({}),
            events: z.array(z.enum(notifyEvents)).default(['job_failed', 'job_interrupted', 'source_stale']),
            timeout: duration.default(10_000),
          })
          .strict()
          .optional(),
      })
      .strict()
      .default({}),
  })
  .strict()
  .superRefine((c, ctx) => {
    for (const [name, job] of Object.entries(c.jobs)) {
      const seen = new Set<string>();
      job.steps.forEach((s, i) => {
        const path = ['jobs', name, 'steps', i];
        const type = stepTypes.get(s.type);
        if (!type) {
          ctx.addIssue({ code: 'custom', path: [...path, 'type'], message: `unknown step type "${s.type}"; known: ${[...stepTypes.keys()].join(', ')}` });
          return;
        }
        const { name: _n, type: _t, optional: _o, retries: _r, backoff: _b, timeout: _to, env: _e, ...own } = s;
        const parsed = type.options.safeParse(own);
        if (!parsed.success) for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', path: [...path, ...issue.path.map(String)], message: issue.message });
        const stepName = stepName_(s, i, job.steps);
        if (seen.has(stepName)) ctx.addIssue({ code: 'custom', path: [...path, 'name'], message: `two steps are named "${stepName}"; give them distinct names` });
        seen.add(stepName);
      });
    }
  });

function stepName_(s: { name?: string; type: string }, i: number, all: { name?: string; type: string }[]): string {
  if (s.name) return s.name;
  const sameType = all.filter((x) => !x.name && x.type === s.type);
  return sameType.length > 1 ? `${s.type}-${sameType.indexOf(s) + 1}` : s.type;
}

export type JobsConfigInput = z.input<typeof jobsConfigSchema>;
type ParsedConfig = z.infer<typeof jobsConfigSchema>;

/** A step as the runner uses it: resolved name, retry policy and timeout, and its type's own options. */
export interface StepConfig {
  name: string;
  type: string;
  optional: boolean;
  retries: number;
  backoff: Backoff;
  timeoutMs: number;
  env: Record<string, string>;
  options: Record<string, unknown>;
}

export interface JobConfig {
  name: string;
  description?: string;
  cron: string;
  timezone: string;
  enabled: boolean;
  runDateOffsetDays: number;
  resumeInterrupted: boolean;
  env: Record<string, string>;
  steps: StepConfig[];
}

export interface FreshnessRule {
  source: string;
  warnAfterMs: number;
  errorAfterMs: number;
  loadedAtField?: string;
}

export interface JobsConfig {
  file: string;
  timezone: string;
  shutdownGraceMs: number;
  missedToleranceMs: number;
  jobs: Map<string, JobConfig>;
  freshness: { checkCron: string; default?: { warnAfterMs: number; errorAfterMs: number }; sources: FreshnessRule[] };
  webhook?: { url: string; headers: Record<string, string>; events: NotifyEvent[]; timeoutMs: number };
}

/**
 * Validates a parsed jobs file. Errors name the file and the key path as written
 * (e.g. `config/jobs.json: jobs.nightly.steps.0.pipelines: Required`).
 */
export function parseJobsConfig(raw: unknown, file = 'config/jobs.json', env: NodeJS.ProcessEnv = process.env): JobsConfig {
  const parsed = jobsConfigSchema.safeParse(raw);
  if (!parsed.success) throw fromZodError(parsed.error, file);
  return resolve(parsed.data, file, env);
}

function resolve(c: ParsedConfig, file: string, env: NodeJS.ProcessEnv): JobsConfig {
  const jobs = new Map<string, JobConfig>();
  for (const [name, j] of Object.entries(c.jobs)) {
    const steps = j.steps.map((s, i): StepConfig => {
      const { name: _n, type, optional, retries, backoff, timeout, env: stepEnv, ...own } = s;
      return {
        name: stepName_(s, i, j.steps),
        type,
        optional,
        retries: retries ?? c.defaults.retries,
        backoff: { ...c.defaults.backoff, ...(backoff ?? {}) } as Backoff,
        timeoutMs: timeout ?? c.defaults.timeout,
        env: stepEnv,
        options: stepTypes.get(type)!.options.parse(own) as Record<string, unknown>,
      };
    });
    jobs.set(name, {
      name,
      description: j.description,
      cron: j.cron,
      timezone: j.timezone ?? c.timezone,
      enabled: j.enabled,
      runDateOffsetDays: j.runDateOffsetDays,
      resumeInterrupted: j.resumeInterrupted,
      env: j.env,
      steps,
    });
  }
  let webhook: JobsConfig['webhook'];
  if (c.notify.webhook) {
    // Only the webhook reads the environment at load time; steps interpolate ${RUN_DATE} & co. per run.
    const w = interpolateEnv(c.notify.webhook, env, file, ['notify', 'webhook']) as typeof c.notify.webhook;
    if (w.url.trim()) {
      if (!/^https?:\/\//.test(w.url)) throw new ValidationError(`webhook url must start with http:// or https:// (got "${w.url}")`, { file, field: 'notify.webhook.url' });
      webhook = { url: w.url, headers: w.headers, events: w.events, timeoutMs: w.timeout };
    }
  }
  return {
    file,
    timezone: c.timezone,
    shutdownGraceMs: c.shutdownGrace,
    missedToleranceMs: c.missedTolerance,
    jobs,
    freshness: {
      checkCron: c.freshness.checkCron,
      default: c.freshness.default && { warnAfterMs: c.freshness.default.warnAfter, errorAfterMs: c.freshness.default.errorAfter },
      sources: c.freshness.sources.map((r) => ({ source: r.source, warnAfterMs: r.warnAfter, errorAfterMs: r.errorAfter, loadedAtField: r.loadedAtField })),
    },
    webhook,
  };
}

/**
 * Reads and validates a jobs file (.json, .yaml or .yml).
 *
 * @example
 * const config = loadJobsConfig('config/jobs.json');
 * config.jobs.get('nightly')?.cron; // '0 2 * * *'
 */
export function loadJobsConfig(file: string, env: NodeJS.ProcessEnv = process.env): JobsConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new ValidationError('jobs file not found (set CRM_JOBS or pass --config)', { file });
  }
  let raw: unknown;
  try {
    raw = extname(file) === '.json' ? JSON.parse(text) : YAML.parse(text);
  } catch (e) {
    throw new ValidationError(`not valid ${extname(file) === '.json' ? 'JSON' : 'YAML'}: ${(e as Error).message}`, { file });
  }
  return parseJobsConfig(raw, file, env);
}

/** The jobs file: CRM_JOBS, else config/jobs.json. */
export function defaultJobsFile(env: NodeJS.ProcessEnv = process.env): string {
  return env.CRM_JOBS || 'config/jobs.json';
}

/** The job by name, or a NOT_FOUND-style validation error listing the configured ones. */
export function getJob(config: JobsConfig, name: string): JobConfig {
  const job = config.jobs.get(name);
  if (!job) throw new ValidationError(`no job "${name}"; configured: ${[...config.jobs.keys()].join(', ') || '(none)'}`, { file: config.file, field: 'jobs' });
  return job;
}
