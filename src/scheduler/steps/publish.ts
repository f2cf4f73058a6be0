import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { interpolateEnv } from '../../ingest/index.ts';
import { runSegments } from '../../models/segments/index.ts';
import { DashboardService, exportDashboard } from '../../publish/dashboards/index.ts';
import { channels, createExport, type ExportManifest } from '../../publish/exports/index.ts';
import { PermanentError } from '../retry.ts';
import type { StepContext, StepOutcome, StepType } from './types.ts';

/** Steps over the publishing side: segment snapshots, target-list exports, dashboard exports. */

const where = (ctx: StepContext) => `jobs.${ctx.job}.steps.${ctx.step}`;
const interp = (ctx: StepContext, v: string, key: string[]) => interpolateEnv(v, ctx.env, where(ctx), key) as string;
const isoDate = (ctx: StepContext, v: string) => {
  const d = interp(ctx, v, ['asOf']);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(d)) throw new PermanentError(`${where(ctx)}: asOf must be a date YYYY-MM-DD (got "${d}")`);
  return d;
};

// ---- segments ----

const segmentsOptions = z
  .object({
    /** Segments to snapshot; default: all (RFM, built-in and user segments). */
    segments: z.array(z.string().min(1)).min(1).optional(),
    asOf: z.string().default('${RUN_DATE}'),
  })
  .strict();
type SegmentsOptions = z.infer<typeof segmentsOptions>;

/** RFM scores and every segment's membership as of the run date, in one transaction (src/models/segments). */
export const segmentsStep: StepType<SegmentsOptions> = {
  description: 'snapshot RFM scores and segment membership as of the run date',
  options: segmentsOptions,
  async run(ctx, o): Promise<StepOutcome> {
    const asOf = isoDate(ctx, o.asOf);
    const r = await runSegments(ctx.wh, { asOf, segments: o.segments });
    const skipped = r.sizes.filter((s) => s.status === 'skipped');
    for (const s of skipped) ctx.log('warn', 'segment skipped', { segment: s.segment, reason: s.message });
    return {
      status: 'succeeded',
      summary: r.summary,
      detail: { as_of: asOf, segment_run_id: r.runId, customers_scored: r.customersScored, sizes: r.sizes.map((s) => ({ segment: s.segment, members: s.members, status: s.status })) },
    };
  },
};

// ---- target-list exports ----

const exportSpec = z
  .object({
    /** Shown in logs and runs. */
    name: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'lowercase letters, digits, "_" or "-"'),
    segment: z.string().min(1).optional(),
    plan: z.string().min(1).optional(),
    channel: z.enum(channels),
    /** Output file; ${RUN_DATE} & co. allowed (a re-run of the same date replaces its file). */
    out: z.string().min(1),
    format: z.string().optional(),
    fields: z.array(z.string().min(1)).min(1).optional(),
    holdout: z.number().min(0).max(0.9).default(0),
    seed: z.string().optional(),
    /** Keep it stable across days so the same customers stay in the holdout. */
    campaign: z.string().min(1).optional(),
    /** "previous": write only who was added and removed since the last export of this name. */
    diff: z.literal('previous').optional(),
    /** An empty list is written instead of failing the step. */
    allowEmpty: z.boolean().default(true),
  })
  .strict()
  .refine((e) => e.segment !== undefined || e.plan !== undefined, { message: 'give a segment or a plan', path: ['segment'] });

const exportsOptions = z
  .object({
    exports: z.array(exportSpec).default([]),
    asOf: z.string().default('${RUN_DATE}'),
  })
  .strict()
  .superRefine((o, ctx) => {
    const names = o.exports.map((e) => e.name);
    names.forEach((n, i) => {
      if (names.indexOf(n) !== i) ctx.addIssue({ code: 'custom', path: ['exports', i, 'name'], message: `two exports are named "${n}"` });
    });
  });
type ExportsOptions = z.infer<typeof exportsOptions>;

/** The requested_by of scheduled exports: how `diff: previous` finds the last export of a name. */
const requestedBy = (ctx: StepContext, name: string) => `scheduler:${ctx.job}/${name}`;

/** Writes the configured target lists as of the run date (src/publish/exports), consent rules and holdouts included. */
export const exportsStep: StepType<ExportsOptions> = {
  description: 'write the configured target-list exports as of the run date',
  options: exportsOptions,
  async run(ctx, o): Promise<StepOutcome> {
    if (!o.exports.length) return { status: 'skipped', summary: 'no exports are configured' };
    const asOf = isoDate(ctx, o.asOf);
    const done = (ctx.state.get('done') as { name: string; export_id: number; path: string; targeted: number; holdout: number; rows: number }[] | undefined) ?? [];
    ctx.state.set('done', done);
    for (const [i, e] of o.exports.entries()) {
      if (done.some((d) => d.name === e.name)) continue;
      if (ctx.signal.aborted) throw ctx.signal.reason;
      let diffSince: number | undefined;
      if (e.diff === 'previous') {
        const [prev] = await ctx.wh.all<{ id: number }>('select max(export_id) as id from export_log where requested_by = $by', { by: requestedBy(ctx, e.name) });
        diffSince = prev?.id ?? undefined;
      }
      const out = interp(ctx, e.out, ['exports', String(i), 'out']);
      mkdirSync(dirname(resolve(out)), { recursive: true }); // dated folders such as exports/${RUN_DATE}/ are made per run
      let m: ExportManifest;
      try {
        m = await createExport(ctx.wh, {
          segment: e.segment,
          plan: e.plan,
          channel: e.channel,
          out,
          format: e.format as never,
          fields: e.fields,
          holdout: e.holdout,
          seed: e.seed,
          campaign: e.campaign ? interp(ctx, e.campaign, ['exports', String(i), 'campaign']) : undefined,
          diffSince,
          asOf,
          force: true,
          allowEmpty: e.allowEmpty,
          requestedBy: requestedBy(ctx, e.name),
        });
      } catch (err) {
        throw Object.assign(err as Error, { message: `export ${e.name}: ${(err as Error).message}` });
      }
      ctx.log('info', 'export written', { export: e.name, export_id: m.exportId, path: m.path, targeted: m.counts.targeted, holdout: m.counts.holdout, rows: m.counts.rowsWritten });
      done.push({ name: e.name, export_id: m.exportId, path: m.path, targeted: m.counts.targeted, holdout: m.counts.holdout, rows: m.counts.rowsWritten });
    }
    return {
      status: 'succeeded',
      summary: done.map((d) => `${d.name}: ${d.rows.toLocaleString('en-US')} rows (export ${d.export_id})`).join('; '),
      detail: { as_of: asOf, exports: done },
    };
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
    /** Dashboard filters, e.g. {"region": "EMEA", "to": "${RUN_DATE}"}. */
    filters: z.record(z.string(), z.string()).default({}),
  })
  .strict();
type DashboardsOptions = z.infer<typeof dashboardsOptions>;

/** Renders dashboards to self-contained HTML, SVG or PNG files (src/publish/dashboards). */
export const dashboardsStep: StepType<DashboardsOptions> = {
  description: 'export dashboards to HTML/SVG/PNG files',
  options: dashboardsOptions,
  async run(ctx, o): Promise<StepOutcome> {
    const svc = new DashboardService(ctx.wh);
    const known = svc.dashboards.map((d) => d.name);
    const names = o.dashboards ?? known;
    const unknown = names.filter((n) => !known.includes(n));
    if (unknown.length) throw new PermanentError(`${where(ctx)}: unknown dashboard ${unknown.join(', ')}; known: ${known.join(', ')}`);
    if (!names.length) return { status: 'skipped', summary: 'no dashboards are defined' };
    const outDir = interp(ctx, o.outDir, ['outDir']);
    const filters = Object.fromEntries(Object.entries(o.filters).map(([k, v]) => [k, interp(ctx, v, ['filters', k])]));
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
