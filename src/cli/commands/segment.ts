import { readFileSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import { AppError, ValidationError } from '../../errors.ts';
import {
  behaviouralClusters,
  createSegment,
  deleteSegment,
  events,
  fields,
  loadCatalog,
  migrationMatrix,
  movers,
  operatorsByKind,
  pivotMatrix,
  previewPlan,
  previewSegment,
  requirePlan,
  requireSegment,
  rfmSummary,
  runSegments,
  savePlan,
  segmentMembers,
  segmentTrend,
  segmentVersions,
  listRuns,
  updateSegment,
  type Preview,
} from '../../models/segments/index.ts';
import { formatRows, type OutputFormat } from '../format.ts';
import { intOption } from '../main.ts';
import type { CliContext } from '../context.ts';
import type { RegisterCommands } from './index.ts';

const formatOption = (v: string): OutputFormat => {
  if (!['table', 'csv', 'json'].includes(v)) throw new InvalidArgumentError('expected table, csv or json');
  return v as OutputFormat;
};
const dateOption = (v: string) => {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(v) || Number.isNaN(Date.parse(`${v}T00:00:00Z`))) throw new InvalidArgumentError('expected a date YYYY-MM-DD');
  return v;
};
const listOption = (v: string) => v.split(',').map((s) => s.trim()).filter(Boolean);

function readJsonFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new AppError('NOT_FOUND', `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ValidationError(`not valid JSON: ${(e as Error).message}`, { file });
  }
}

interface DefinitionFlags {
  file?: string;
  rule?: string;
  label?: string;
  description?: string;
}

/**
 * A definition from --file (a whole definition, or just a rule) or --rule (inline JSON), named by the
 * argument; --label / --description override.
 */
export function definitionFromFlags(name: string, o: DefinitionFlags, base?: Record<string, unknown>): Record<string, unknown> {
  if (!!o.file === !!o.rule && !base) throw new AppError('VALIDATION', 'give the rule with --file FILE or --rule JSON (one of them)');
  let def: Record<string, unknown> = base ? { ...base } : {};
  if (o.file || o.rule) {
    let json: unknown;
    if (o.file) json = readJsonFile(o.file);
    else
      try {
        json = JSON.parse(o.rule!);
      } catch (e) {
        throw new ValidationError(`--rule is not valid JSON: ${(e as Error).message}`, { field: '--rule' });
      }
    const whole = json && typeof json === 'object' && !Array.isArray(json) && 'rule' in json;
    if (whole) {
      const d = json as Record<string, unknown>;
      if (d.name !== undefined && d.name !== name) throw new ValidationError(`the file names segment "${String(d.name)}", not "${name}"`, { file: o.file, field: 'name' });
      def = { ...def, ...d };
    } else def = { ...def, rule: json };
  }
  def.name = name;
  if (o.label !== undefined) def.label = o.label;
  if (o.description !== undefined) def.description = o.description;
  return def;
}

function printPreview(ctx: CliContext, p: Preview, format: OutputFormat): void {
  if (format === 'json') return ctx.out(JSON.stringify(p, null, 2));
  const share = p.customers ? ` (${((100 * p.count) / p.customers).toFixed(1)}% of ${p.customers.toLocaleString('en')} customers)` : '';
  ctx.out(`segment ${p.segment} as of ${p.asOf}: ${p.count.toLocaleString('en')} customers${share}`);
  if (p.sources.valueRunId) ctx.out(`  uses CLV scores of clv run ${p.sources.valueRunId}`);
  if (p.sources.rfm) ctx.out(`  RFM scored live as of ${p.asOf} (${p.sources.rfmCustomers ?? 0} customers with purchases)`);
  if (p.sample.length) ctx.out(`sample:\n${formatRows(p.sample, format)}`);
}

const runPairOptions = (cmd: Command) =>
  cmd
    .option('--from-run <id>', 'earlier run (default: the one before --to-run)', intOption(1))
    .option('--to-run <id>', 'later run (default: the latest succeeded)', intOption(1))
    .option('--from-date <date>', 'earlier run: the latest as of this day', dateOption)
    .option('--to-date <date>', 'later run: the latest as of this day', dateOption)
    .option('--plan <name>', 'compare over a campaign plan (default: the RFM segments)')
    .option('--segments <list>', 'compare over these segments, highest priority first (comma-separated)', listOption);

export const register: RegisterCommands = (program, ctx) => {
  const seg = program.command('segment').description('segments: RFM, rule-tree segments, campaign plans, membership history');

  seg
    .command('list')
    .description('every segment (RFM, built-in, user) with its latest snapshot size')
    .option('--format <format>', 'table | csv | json', formatOption, 'table')
    .action(async (o: { format: OutputFormat }) => {
      const wh = await ctx.warehouse();
      const catalog = await loadCatalog(wh);
      const sizes = await wh.all<{ segment_name: string; members: number | null; run_id: number; as_of: string }>(
        `select segment_name, members, run_id, as_of from segment_sizes
         where run_id = (select max(run_id) from segment_runs where status = 'succeeded')`,
      );
      const rows = [...catalog.segments.values()].map((e) => {
        const s = sizes.find((x) => x.segment_name === e.name);
        return { name: e.name, source: e.source, version: e.version, label: e.label, members: s?.members ?? null, as_of: s?.as_of ?? null };
      });
      ctx.out(formatRows(rows, o.format));
    });

  seg
    .command('fields')
    .description('what rules can use: fields (with kinds and operators) and events')
    .option('--format <format>', 'table | csv | json', formatOption, 'table')
    .action((o: { format: OutputFormat }) => {
      const rows = [
        ...fields.map((f) => ({ name: f.name, kind: f.kind, group: f.group, window: f.windowed ? 'yes' : '', operators: operatorsByKind[f.kind].join(' '), description: f.description + (f.values ? ` [${f.values.join(', ')}]` : '') })),
        ...events.map((e) => ({ name: e.name, kind: 'event', group: 'behaviour', window: 'yes', operators: 'count: eq neq lt lte gt gte', description: `${e.description}; where: ${Object.keys(e.where).join(', ')}` })),
      ];
      ctx.out(formatRows(rows, o.format));
    });

  seg
    .command('show <name>')
    .description('a segment’s definition (and, for user segments, its versions)')
    .option('--json', 'print the definition as JSON only (usable as a --file)')
    .action(async (name: string, o: { json?: boolean }) => {
      const wh = await ctx.warehouse();
      const e = requireSegment(await loadCatalog(wh), name);
      if (o.json) return ctx.out(JSON.stringify(e.definition, null, 2));
      ctx.out(`${e.name} — ${e.label ?? ''}\nsource: ${e.source}${e.file ? ` (${e.file})` : ''}${e.version ? `, version ${e.version}` : ''}\nhash: ${e.hash}`);
      if (e.description) ctx.out(e.description);
      ctx.out(JSON.stringify(e.definition.rule, null, 2));
      if (e.source === 'user') {
        const versions = await segmentVersions(wh, name);
        ctx.out(`versions:\n${formatRows(versions.map((v) => ({ version: v.version, deleted: v.is_deleted, created_at: v.created_at, created_by: v.created_by, comment: v.comment, hash: v.definition_hash.slice(0, 12) })), 'table')}`);
      }
    });

  seg
    .command('preview [name]')
    .description('count and a sample of a saved segment, or of a rule before saving it')
    .option('--file <file>', 'a definition or rule JSON file')
    .option('--rule <json>', 'a rule as inline JSON')
    .option('--as-of <date>', 'evaluate as of this day (default today, UTC)', dateOption)
    .option('--sample <n>', 'sample size', intOption(0, 1000), 10)
    .option('--format <format>', 'table | csv | json', formatOption, 'table')
    .addHelpText('after', `\nExample:\n  crm segment preview --rule '{"all":[{"field":"country","op":"eq","value":"DE"},{"field":"orders","op":"gte","value":3,"window":{"last":90}}]}'`)
    .action(async (name: string | undefined, o: DefinitionFlags & { asOf?: string; sample: number; format: OutputFormat }) => {
      const wh = await ctx.warehouse();
      const target = o.file || o.rule ? { definition: definitionFromFlags(name ?? 'preview', o) } : name ? { name } : undefined;
      if (!target) throw new AppError('VALIDATION', 'give a segment name, --file or --rule');
      printPreview(ctx, await previewSegment(wh, target, { asOf: o.asOf, sample: o.sample }), o.format);
    });

  for (const verb of ['create', 'update'] as const) {
    seg
      .command(`${verb} <name>`)
      .description(verb === 'create' ? 'preview a new user segment, then save it (version 1)' : 'preview a changed user segment, then save it as a new version')
      .option('--file <file>', 'a definition or rule JSON file')
      .option('--rule <json>', 'a rule as inline JSON')
      .option('--label <text>', 'display name')
      .option('--description <text>', 'what it is for')
      .option('--comment <text>', 'why this version')
      .option('--as-of <date>', 'preview as of this day', dateOption)
      .option('--dry-run', 'preview only, save nothing')
      .action(async (name: string, o: DefinitionFlags & { comment?: string; asOf?: string; dryRun?: boolean }) => {
        const wh = await ctx.warehouse();
        let base: Record<string, unknown> | undefined;
        if (verb === 'update') {
          const e = requireSegment(await loadCatalog(wh), name);
          base = e.definition as unknown as Record<string, unknown>;
        }
        const def = definitionFromFlags(name, o, base);
        if (verb === 'create' && (await loadCatalog(wh)).segments.has(name)) throw new AppError('CONFLICT', `segment "${name}" already exists; use \`crm segment update ${name}\``);
        printPreview(ctx, await previewSegment(wh, { definition: def }, { asOf: o.asOf, sample: 5 }), 'table');
        if (o.dryRun) return ctx.out('(dry run: nothing saved)');
        const saved = verb === 'create' ? await createSegment(wh, def, { comment: o.comment }) : await updateSegment(wh, def, { comment: o.comment });
        ctx.out(`saved ${saved.name} version ${saved.version} (hash ${saved.hash.slice(0, 12)})`);
      });
  }

  seg
    .command('delete <name>')
    .description('delete a user segment (kept in its version history)')
    .option('--comment <text>', 'why')
    .action(async (name: string, o: { comment?: string }) => {
      await deleteSegment(await ctx.warehouse(), name, { comment: o.comment });
      ctx.out(`deleted ${name}`);
    });

  seg
    .command('members <name>')
    .description('members of a segment: live as of a day, or from a run’s snapshot')
    .option('--plan <plan>', 'only those the campaign plan assigns to this segment')
    .option('--as-of <date>', 'evaluate as of this day (default today)', dateOption)
    .option('--run <id>', 'from this segment run’s snapshot', intOption(1))
    .option('--limit <n>', 'rows', intOption(1, 1_000_000), 100)
    .option('--offset <n>', 'skip rows', intOption(0), 0)
    .option('--format <format>', 'table | csv | json', formatOption, 'table')
    .action(async (name: string, o: { plan?: string; asOf?: string; run?: number; limit: number; offset: number; format: OutputFormat }) => {
      const r = await segmentMembers(await ctx.warehouse(), o.plan ? { plan: o.plan, segment: name } : { segment: name }, o);
      if (o.format === 'json') return ctx.out(JSON.stringify(r, null, 2));
      ctx.out(formatRows(r.rows, o.format));
      if (o.format === 'table') ctx.out(`${r.total.toLocaleString('en')} members as of ${r.asOf}${r.total > r.rows.length ? ` (showing ${o.offset + 1}–${o.offset + r.rows.length})` : ''}`);
    });

  seg
    .command('run')
    .description('score RFM and snapshot every segment’s membership (same as `crm models run segments`)')
    .option('--as-of <date>', 'as of this day (default: the day of the newest order)', dateOption)
    .option('--lookback-days <n>', 'only purchases in the last N days count for RFM', intOption(1))
    .option('--ties <mode>', 'split (ntile; equal values may get different scores) | shared (equal values, equal scores)', 'split')
    .option('--format <format>', 'table | csv | json', formatOption, 'table')
    .action(async (o: { asOf?: string; lookbackDays?: number; ties: string; format: OutputFormat }) => {
      if (!['split', 'shared'].includes(o.ties)) throw new AppError('VALIDATION', '--ties must be split or shared');
      const r = await runSegments(await ctx.warehouse(), { asOf: o.asOf, lookbackDays: o.lookbackDays, ties: o.ties as 'split' | 'shared' });
      if (o.format === 'json') return ctx.out(JSON.stringify(r, null, 2));
      ctx.out(formatRows(r.sizes, o.format));
      ctx.out(r.summary);
    });

  seg
    .command('runs')
    .description('recent segment runs')
    .option('--limit <n>', 'rows', intOption(1), 20)
    .option('--format <format>', 'table | csv | json', formatOption, 'table')
    .action(async (o: { limit: number; format: OutputFormat }) => {
      const runs = await listRuns(await ctx.warehouse(), o.limit);
      ctx.out(formatRows(runs.map(({ run_id, as_of, status, customers_scored, segments_evaluated, segments_skipped, value_run_id, started_at, duration_ms, error }) => ({ run_id, as_of, status, customers_scored, segments_evaluated, segments_skipped, value_run_id, started_at, duration_ms, error })), o.format));
    });

  seg
    .command('rfm')
    .description('the RFM segments of a run: size, share, average recency, frequency and value')
    .option('--run <id>', 'segment run (default: latest)', intOption(1))
    .option('--format <format>', 'table | csv | json', formatOption, 'table')
    .action(async (o: { run?: number; format: OutputFormat }) => {
      const r = await rfmSummary(await ctx.warehouse(), o.run);
      if (o.format === 'json') return ctx.out(JSON.stringify(r, null, 2));
      ctx.out(formatRows(r.rows, o.format));
      if (o.format === 'table') ctx.out(`run ${r.run_id} as of ${r.as_of}`);
    });

  runPairOptions(seg.command('matrix').description('migration between two runs: customers from each segment to each segment'))
    .option('--long', 'one row per (from, to) pair instead of a grid')
    .option('--format <format>', 'table | csv | json', formatOption, 'table')
    .action(async (o: { fromRun?: number; toRun?: number; fromDate?: string; toDate?: string; plan?: string; segments?: string[]; long?: boolean; format: OutputFormat }) => {
      const m = await migrationMatrix(await ctx.warehouse(), o);
      if (o.format === 'json') return ctx.out(JSON.stringify(m, null, 2));
      ctx.out(formatRows(o.long ? m.rows : pivotMatrix(m), o.format));
      if (o.format === 'table') ctx.out(`rows: run ${m.from.run_id} (${m.from.as_of}); columns: run ${m.to.run_id} (${m.to.as_of})`);
    });

  runPairOptions(seg.command('moved').description('who moved from one segment to another between two runs'))
    .requiredOption('--from <segment>', 'segment in the earlier run ("(none)" for none)')
    .requiredOption('--to <segment>', 'segment in the later run')
    .option('--limit <n>', 'rows', intOption(1), 100)
    .option('--format <format>', 'table | csv | json', formatOption, 'table')
    .action(async (o: { from: string; to: string; fromRun?: number; toRun?: number; fromDate?: string; toDate?: string; plan?: string; segments?: string[]; limit: number; format: OutputFormat }) => {
      const r = await movers(await ctx.warehouse(), o);
      if (o.format === 'json') return ctx.out(JSON.stringify(r, null, 2));
      ctx.out(formatRows(r.rows, o.format));
      if (o.format === 'table') ctx.out(`${r.total} customers moved from ${o.from} (run ${r.from.run_id}, ${r.from.as_of}) to ${o.to} (run ${r.to.run_id}, ${r.to.as_of})`);
    });

  seg
    .command('trend')
    .description('segment sizes over the recent runs')
    .option('--segments <list>', 'only these (comma-separated)', listOption)
    .option('--runs <n>', 'how many recent runs', intOption(1), 12)
    .option('--format <format>', 'table | csv | json', formatOption, 'table')
    .action(async (o: { segments?: string[]; runs: number; format: OutputFormat }) => {
      ctx.out(formatRows(await segmentTrend(await ctx.warehouse(), o), o.format));
    });

  seg
    .command('clusters')
    .description('behavioural clusters: k-means on standardised log-RFM of a run, labelled by their centroids')
    .option('--run <id>', 'segment run (default: latest)', intOption(1))
    .option('--k <n>', 'number of clusters', intOption(2, 20), 5)
    .option('--seed <n>', 'random seed (sample and starts)', intOption(0), 42)
    .option('--sample <n>', 'customers the centroids are fitted on', intOption(100, 1_000_000), 20_000)
    .option('--format <format>', 'table | csv | json', formatOption, 'table')
    .action(async (o: { run?: number; k: number; seed: number; sample: number; format: OutputFormat }) => {
      const r = await behaviouralClusters(await ctx.warehouse(), { runId: o.run, k: o.k, seed: o.seed, sampleSize: o.sample });
      if (o.format === 'json') return ctx.out(JSON.stringify(r, null, 2));
      const round = (x: number, d: number) => Number(x.toFixed(d));
      ctx.out(formatRows(r.clusters.map((c) => ({ cluster: c.cluster, label: c.label, customers: c.customers, share: round(c.share, 4), recency_days: round(c.recency_days, 1), frequency: round(c.frequency, 2), monetary: round(c.monetary, 2) })), o.format));
      if (o.format === 'table') ctx.out(`run ${r.runId} as of ${r.asOf}; centroids fitted on ${r.sampleSize} customers (seed ${r.seed}); every customer assigned in customer_clusters`);
    });

  const plan = seg.command('plan').description('campaign plans: priority lists of segments (a customer goes to the first that fits)');
  plan
    .command('list')
    .option('--format <format>', 'table | csv | json', formatOption, 'table')
    .action(async (o: { format: OutputFormat }) => {
      const catalog = await loadCatalog(await ctx.warehouse());
      ctx.out(formatRows([...catalog.plans.values()].map((p) => ({ name: p.name, source: p.source, version: p.version, label: p.label, segments: p.definition.segments.join(' > ') })), o.format));
    });
  plan
    .command('show <name>')
    .description('how a plan splits customers now: who qualifies for each segment and who it assigns there')
    .option('--as-of <date>', 'as of this day', dateOption)
    .option('--format <format>', 'table | csv | json', formatOption, 'table')
    .action(async (name: string, o: { asOf?: string; format: OutputFormat }) => {
      const wh = await ctx.warehouse();
      requirePlan(await loadCatalog(wh), name);
      const r = await previewPlan(wh, name, { asOf: o.asOf });
      if (o.format === 'json') return ctx.out(JSON.stringify(r, null, 2));
      ctx.out(formatRows(r.rows, o.format));
      if (o.format === 'table') ctx.out(`plan ${name} as of ${r.asOf}: ${r.total.toLocaleString('en')} customers assigned`);
    });
  plan
    .command('save <name>')
    .description('create or update a user plan (a new version)')
    .requiredOption('--segments <list>', 'segments, highest priority first (comma-separated)', listOption)
    .option('--label <text>', 'display name')
    .option('--description <text>', 'what it is for')
    .option('--comment <text>', 'why this version')
    .action(async (name: string, o: { segments: string[]; label?: string; description?: string; comment?: string }) => {
      const p = await savePlan(await ctx.warehouse(), { name, segments: o.segments, label: o.label, description: o.description }, { comment: o.comment });
      ctx.out(`saved plan ${p.name} version ${p.version}: ${p.definition.segments.join(' > ')}`);
    });
};
