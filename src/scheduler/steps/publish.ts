import { z } from 'zod';
import { interpolateEnv } from '../../ingest/index.ts';
import type { Warehouse } from '../../warehouse/index.ts';
import { PermanentError } from '../retry.ts';
import { StepUnavailable, type StepContext, type StepOutcome, type StepType } from './types.ts';

/**
 * Steps over features other modules provide (segment snapshots, target-list exports, dashboard
 * exports). They are imported when the step runs, so a build without the feature still runs the rest
 * of the chain: the step is skipped when it is `optional`, and fails with a clear message otherwise.
 */

/** Imports a module of this project by path relative to src/, or null when it is not part of this build. */
async function importFeature(relative: string): Promise<Record<string, unknown> | null> {
  const url = new URL(`../../${relative}`, import.meta.url).href;
  try {
    return (await import(url)) as Record<string, unknown>;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ERR_MODULE_NOT_FOUND' && String((e as Error).message).includes(relative.split('/').slice(0, -1).join('/'))) return null;
    throw e;
  }
}

async function feature<T>(relative: string, exportName: string, what: string): Promise<T> {
  const mod = await importFeature(relative);
  const fn = mod?.[exportName];
  if (typeof fn !== 'function') throw new StepUnavailable(`${what} are not available in this build (${relative} does not export ${exportName})`);
  return fn as T;
}

const interp = (ctx: StepContext, v: string, key: string) => interpolateEnv(v, ctx.env, `jobs.${ctx.job}.steps.${ctx.step}`, [key]) as string;

// ---- segments ----

const segmentsOptions = z
  .object({
    /** Segments (or campaign plans) to snapshot; default: all of them. */
    segments: z.array(z.string().min(1)).min(1).optional(),
    asOf: z.string().default('${RUN_DATE}'),
  })
  .strict();
type SegmentsOptions = z.infer<typeof segmentsOptions>;
type SnapshotSegments = (wh: Warehouse, o: { asOf: string; segments?: string[] }) => Promise<{ runId: number | string; summary: string }>;

export const segmentsStep: StepType<SegmentsOptions> = {
  description: 'snapshot segment membership as of the run date (src/models/segments)',
  options: segmentsOptions,
  async run(ctx, o): Promise<StepOutcome> {
    const snapshot = await feature<SnapshotSegments>('models/segments/index.ts', 'snapshotSegments', 'segment snapshots');
    const asOf = interp(ctx, o.asOf, 'asOf');
    const r = await snapshot(ctx.wh, { asOf, segments: o.segments });
    return { status: 'succeeded', summary: r.summary, detail: { as_of: asOf, segment_run_id: r.runId } };
  },
};

// ---- target-list exports ----

const exportsOptions = z
  .object({
    /** Scheduled exports to run (names from the exports configuration); default: all that are due. */
    exports: z.array(z.string().min(1)).min(1).optional(),
    asOf: z.string().default('${RUN_DATE}'),
  })
  .strict();
type ExportsOptions = z.infer<typeof exportsOptions>;
type RunScheduledExports = (wh: Warehouse, o: { asOf: string; names?: string[] }) => Promise<{ summary: string; files?: string[] }>;

export const exportsStep: StepType<ExportsOptions> = {
  description: 'write the scheduled target-list exports (src/publish/exports)',
  options: exportsOptions,
  async run(ctx, o): Promise<StepOutcome> {
    const run = await feature<RunScheduledExports>('publish/exports/index.ts', 'runScheduledExports', 'target-list exports');
    const asOf = interp(ctx, o.asOf, 'asOf');
    const r = await run(ctx.wh, { asOf, names: o.exports });
    return { status: 'succeeded', summary: r.summary, detail: { as_of: asOf, files: r.files ?? [] } };
  },
};

// ---- dashboard exports ----

const dashboardsOptions = z
  .object({
    /** Dashboards to export; default: all. */
    dashboards: z.array(z.string().min(1)).min(1).optional(),
    format: z.enum(['html', 'svg', 'png']).default('html'),
    /** ${RUN_DATE} & co. allowed. */
    outDir: z.string().min(1).default('exports/dashboards/${RUN_DATE}'),
    /** Dashboard filters, e.g. {"region": "EMEA"}; values may use ${RUN_DATE}. */
    filters: z.record(z.string(), z.string()).default({}),
  })
  .strict();
type DashboardsOptions = z.infer<typeof dashboardsOptions>;

interface DashboardServiceLike {
  dashboards: { name: string }[];
}
type DashboardServiceCtor = new (wh: Warehouse) => DashboardServiceLike;
type ExportDashboard = (svc: DashboardServiceLike, name: string, o: { format: string; outDir: string; filters?: Record<string, string> }) => Promise<{ files: string[] }>;

export const dashboardsStep: StepType<DashboardsOptions> = {
  description: 'export dashboards to HTML/SVG/PNG files (src/publish/dashboards)',
  options: dashboardsOptions,
  async run(ctx, o): Promise<StepOutcome> {
    const Service = await feature<DashboardServiceCtor>('publish/dashboards/index.ts', 'DashboardService', 'dashboard exports');
    const exportDashboard = await feature<ExportDashboard>('publish/dashboards/index.ts', 'exportDashboard', 'dashboard exports');
    const svc = new Service(ctx.wh);
    const known = svc.dashboards.map((d) => d.name);
    const names = o.dashboards ?? known;
    const unknown = names.filter((n) => !known.includes(n));
    if (unknown.length) throw new PermanentError(`jobs.${ctx.job}.steps.${ctx.step}: unknown dashboard ${unknown.join(', ')}; known: ${known.join(', ')}`);
    if (!names.length) return { status: 'skipped', summary: 'no dashboards are defined' };
    const outDir = interp(ctx, o.outDir, 'outDir');
    const filters = Object.fromEntries(Object.entries(o.filters).map(([k, v]) => [k, interp(ctx, v, `filters.${k}`)]));
    const files: string[] = [];
    for (const name of names) {
      if (ctx.signal.aborted) throw ctx.signal.reason;
      const r = await exportDashboard(svc, name, { format: o.format, outDir, filters });
      files.push(...r.files);
      ctx.log('info', 'dashboard exported', { dashboard: name, files: r.files.length, out_dir: outDir });
    }
    return { status: 'succeeded', summary: `${names.length} dashboards → ${files.length} ${o.format} files in ${outDir}`, detail: { out_dir: outDir, files } };
  },
};
