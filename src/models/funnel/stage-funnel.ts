import { sql, type RawBuilder } from 'kysely';
import { z } from 'zod';
import { fromZodError, ValidationError } from '../../errors.ts';
import type { Warehouse } from '../../warehouse/index.ts';
import { campaignDimensions, customerDimensions, repDimensions } from '../reports/dimensions.ts';
import { applyFilters, bucketExpr, joinDimensions, type AnyQuery, type Dimension } from '../reports/grid.ts';
import { filtersParam, isoDate, refineDimensions, refineRange, resolveRange, type DateRange } from '../reports/params.ts';
import { sqlFragment } from '../reports/sql-fragment.ts';
import type { ReportColumn, ReportRow } from '../reports/types.ts';
import { resolveStageOrder, stageConfigFrom, stageRows, type ResolvedPipeline } from './stage-config.ts';

/** What a deal funnel can be broken down and filtered by (deal owner, the deal's customer, source, campaign, product). */
export const funnelDimensions: Record<string, Dimension> = {
  rep: repDimensions.rep,
  rep_id: repDimensions.rep_id,
  team: repDimensions.team,
  manager: repDimensions.manager,
  region: customerDimensions.region,
  country: customerDimensions.country,
  industry: customerDimensions.industry,
  segment: customerDimensions.segment,
  acquisition_channel: customerDimensions.acquisition_channel,
  source: { label: 'Deal source', expr: sql`coalesce(f.source, '(none)')` },
  campaign: campaignDimensions.campaign,
  campaign_id: campaignDimensions.campaign_id,
  product: { label: 'Product', expr: sql`coalesce(p.name, f.product_id, '(none)')`, joins: ['product'] },
  category: { label: 'Category', expr: sql`coalesce(p.category, '(none)')`, joins: ['product'] },
};
export const funnelBreakdowns = Object.keys(funnelDimensions);

export const stageFunnelParamsSchema = z
  .object({
    /** Deals created from this day (default: the first day of the month 11 months ago). */
    from: isoDate.optional(),
    /** … to this day, inclusive (default: today, UTC). */
    to: isoDate.optional(),
    /** One pipeline (default: every pipeline with deals in the range, each its own funnel). */
    pipeline: z.string().min(1).optional(),
    /** Split by creation cohort. */
    cohort: z.enum(['none', 'month', 'quarter']).default('none'),
    breakdown: z.string().optional(),
    filters: filtersParam.optional(),
    /**
     * auto: stage history where a deal has it, its current stage otherwise; history: only deals with
     * history; current_stage: ignore history (what a history-less export gives).
     */
    mode: z.enum(['auto', 'history', 'current_stage']).default('auto'),
    /** Stage order, inline ({ pipelines: { NAME: { stages, won, lost } } }); default queries/models/funnel/stages.json. */
    stages: z.unknown().optional(),
  })
  .strict()
  .superRefine((p, ctx) => {
    refineDimensions(p, funnelBreakdowns, ctx);
    refineRange(p, ctx);
  });
export type StageFunnelInput = z.input<typeof stageFunnelParamsSchema>;
export type StageFunnelParams = z.output<typeof stageFunnelParamsSchema>;

export interface StageFunnelResult {
  /** One row per pipeline × cohort × breakdown × stage (the last stage is 'won'). */
  rows: ReportRow[];
  columns: ReportColumn[];
  /** One row per pipeline × cohort × breakdown × stage × lost reason, for deals lost at that stage. */
  lostReasons: ReportRow[];
  lostReasonColumns: ReportColumn[];
  pipelines: ResolvedPipeline[];
  /** history: every deal's path came from stage history; current_stage: none did; mixed. */
  mode: 'history' | 'current_stage' | 'mixed' | 'empty';
  deals: { total: number; history: number; currentStage: number; lostStageUnknown: number; excluded: number };
  range: DateRange;
  notes: string[];
  assumptions: string[];
}

interface Prepared {
  p: StageFunnelParams;
  range: DateRange;
  pipelines: ResolvedPipeline[];
  facts: () => RawBuilder<unknown>;
  notes: string[];
}

/** Validates params, resolves the stage order of the pipelines in scope, and builds the facts fragment. */
export async function prepareStageFunnel(wh: Warehouse, input: unknown): Promise<Prepared> {
  const parsed = stageFunnelParamsSchema.safeParse(input ?? {});
  if (!parsed.success) throw fromZodError(parsed.error, 'funnel');
  const p = parsed.data;
  const range = resolveRange(p);
  const config = stageConfigFrom({ stages: p.stages });
  const inScope = await wh.all<{ pipeline: string }>(
    `select distinct pipeline from deals
     where created_at >= cast($from as timestamptz) and created_at < cast($to as timestamptz)
       and (cast($pipeline as varchar) is null or pipeline = $pipeline)
     order by pipeline`,
    { from: range.from, to: range.toExclusive, pipeline: p.pipeline ?? null },
  );
  const names = p.pipeline ? [p.pipeline] : inScope.map((r) => r.pipeline);
  const { resolved, missing } = await resolveStageOrder(wh, config, names);
  const notes: string[] = [];
  if (missing.length) {
    const msg = `no stage order for pipeline${missing.length > 1 ? 's' : ''} ${missing.map((m) => `'${m}'`).join(', ')}: it is neither in the stages file nor inferable from deal_stage_history; add it to a stages file ({ "pipelines": { "${missing[0]}": { "stages": [...], "won": [...], "lost": [...] } } })`;
    if (p.pipeline) throw new ValidationError(msg, { field: 'pipeline' });
    notes.push(`Left out: ${msg}.`);
  }
  const stagesJson = JSON.stringify(stageRows(resolved));
  const facts = () =>
    sqlFragment('models/funnel/deal-stages', { stages: stagesJson, from: range.from, to: range.toExclusive, pipeline: p.pipeline ?? null, mode: p.mode });
  return { p, range, pipelines: resolved, facts, notes };
}

/** The facts joined to the breakdown/filter dimensions, filtered. */
async function scopedQuery(wh: Warehouse, prep: Prepared): Promise<{ q: AnyQuery; notes: string[] }> {
  const { p } = prep;
  const dims = [...(p.breakdown ? [funnelDimensions[p.breakdown]] : []), ...Object.keys(p.filters ?? {}).map((k) => funnelDimensions[k])];
  const joined = await joinDimensions(wh, wh.db.selectFrom(prep.facts().as('f')), dims);
  return { q: applyFilters(joined.query, funnelDimensions, p.filters ?? {}), notes: joined.notes };
}

function cohortExpr(cohort: StageFunnelParams['cohort']): RawBuilder<unknown> {
  return cohort === 'none' ? sql`cast(null as date)` : bucketExpr(cohort, sql`f.created_at`);
}

/**
 * The deal stage funnel: for each stage, the deals that reached it (or a later stage), recorded entries,
 * conversion to the next stage and to won, drop-off (deals lost at the stage) and time in stage
 * (median, p75, p90 days over completed visits), by creation cohort and one breakdown.
 *
 * @example
 * const f = await stageFunnel(wh, { pipeline: 'sales', cohort: 'quarter', breakdown: 'team' });
 * f.rows[0] // { pipeline: 'sales', cohort: '2024-01-01', breakdown: 'North', stage_index: 1, stage: 'lead', reached: 120, … }
 */
export async function stageFunnel(wh: Warehouse, input: unknown, options: { lostReasons?: boolean } = {}): Promise<StageFunnelResult> {
  const prep = await prepareStageFunnel(wh, input);
  const { p } = prep;
  const { q, notes: joinNotes } = await scopedQuery(wh, prep);
  const cohort = cohortExpr(p.cohort);
  const breakdown = p.breakdown ? funnelDimensions[p.breakdown].expr : sql`cast(null as varchar)`;
  const partition = sql`partition by f.pipeline, ${cohort}, ${breakdown}`;

  // Deals left out (no stage) form one row per group with a null stage; the path-source counts at the first
  // stage (where every kept deal appears once) give how many deals each assumption concerns.
  const stageRowsQ = q
    .select([
      sql`f.pipeline`.as('pipeline'),
      cohort.as('cohort'),
      breakdown.as('breakdown'),
      sql`f.stage_idx`.as('stage_index'),
      sql`f.stage`.as('stage'),
      sql`count(*)`.as('reached'),
      sql`case when count(f.entered) = 0 then null else count(*) filter (where f.entered) end`.as('entered'),
      sql`case when f.stage_idx > any_value(f.open_stages) then null else count(*) filter (where f.stage_idx < f.furthest_idx) end`.as('advanced'),
      sql`count(*) filter (where f.status = 'won')`.as('won'),
      sql`count(*) filter (where f.is_furthest and f.status = 'lost')`.as('lost_here'),
      sql`count(*) filter (where f.is_furthest and f.status = 'open')`.as('open_here'),
      sql`round(count(*) / first_value(count(*)) over (${partition} order by f.stage_idx), 4)`.as('conversion_from_first'),
      sql`round(case when f.stage_idx > any_value(f.open_stages) then null else count(*) filter (where f.stage_idx < f.furthest_idx) / count(*) end, 4)`.as('conversion_to_next'),
      sql`round(count(*) filter (where f.status = 'won') / count(*), 4)`.as('conversion_to_won'),
      sql`round(case when f.stage_idx > any_value(f.open_stages) then null else count(*) filter (where f.is_furthest and f.status = 'lost') / count(*) end, 4)`.as('drop_off_rate'),
      sql`round(quantile_cont(f.days_in_stage, 0.5), 2)`.as('days_in_stage_p50'),
      sql`round(quantile_cont(f.days_in_stage, 0.75), 2)`.as('days_in_stage_p75'),
      sql`round(quantile_cont(f.days_in_stage, 0.9), 2)`.as('days_in_stage_p90'),
      sql`count(f.days_in_stage)`.as('timed_deals'),
      sql`count(*) filter (where f.path_source = 'history')`.as('_history'),
      sql`count(*) filter (where f.path_source = 'current_stage')`.as('_current_stage'),
      sql`count(*) filter (where f.path_source = 'lost_stage_unknown')`.as('_lost_stage_unknown'),
    ])
    .groupBy([sql`f.pipeline`, cohort, breakdown, sql`f.stage_idx`, sql`f.stage`])
    .orderBy(sql`f.pipeline`)
    .orderBy(cohort)
    .orderBy(breakdown)
    .orderBy(sql`f.stage_idx`);

  const lostQ = q
    .where(sql<boolean>`f.is_furthest and f.status = 'lost'`)
    .select([
      sql`f.pipeline`.as('pipeline'),
      cohort.as('cohort'),
      breakdown.as('breakdown'),
      sql`f.stage_idx`.as('stage_index'),
      sql`f.stage`.as('stage'),
      sql`coalesce(f.lost_reason, '(none)')`.as('lost_reason'),
      sql`count(*)`.as('deals'),
      sql`round(count(*) / sum(count(*)) over (${partition}, f.stage_idx), 4)`.as('share_of_stage_losses'),
      sql`coalesce(sum(f.amount), 0)`.as('amount'),
    ])
    .groupBy([sql`f.pipeline`, cohort, breakdown, sql`f.stage_idx`, sql`f.stage`, sql`coalesce(f.lost_reason, '(none)')`])
    .orderBy(sql`f.pipeline`)
    .orderBy(cohort)
    .orderBy(breakdown)
    .orderBy(sql`f.stage_idx`)
    .orderBy(sql`count(*) desc`)
    .orderBy(sql`coalesce(f.lost_reason, '(none)')`);

  const [raw, lostReasons] = await Promise.all([stageRowsQ.execute() as Promise<ReportRow[]>, options.lostReasons ? (lostQ.execute() as Promise<ReportRow[]>) : Promise.resolve([])]);
  const firsts = raw.filter((r) => r.stage_index === 1);
  const sum = (k: string, rows = firsts) => rows.reduce((s, r) => s + Number(r[k]), 0);
  const deals = {
    history: sum('_history'),
    currentStage: sum('_current_stage'),
    lostStageUnknown: sum('_lost_stage_unknown'),
    excluded: sum('reached', raw.filter((r) => r.stage_index === null)),
    total: 0,
  };
  const rows = fillStages(
    raw.filter((r) => r.stage_index !== null).map(({ _history: _h, _current_stage: _c, _lost_stage_unknown: _l, ...r }) => r),
    prep.pipelines,
  );
  deals.total = deals.history + deals.currentStage + deals.lostStageUnknown;
  const inferred = deals.currentStage + deals.lostStageUnknown;
  const mode = deals.total === 0 ? 'empty' : inferred === 0 ? 'history' : deals.history === 0 ? 'current_stage' : 'mixed';

  const assumptions: string[] = [];
  for (const pl of prep.pipelines) {
    if (pl.source === 'history')
      assumptions.push(`Stage order of pipeline '${pl.pipeline}' inferred from stage history: ${pl.stages.join(' → ')} (won: ${pl.won.join(', ') || 'none'}; lost: ${pl.lost.join(', ') || 'none'}). Put the pipeline in a stages file to set it.`);
  }
  if (deals.currentStage) {
    // Count every deal without history here (also those lost at an unknown stage, explained next), so the
    // sentence never implies that the others have a history.
    const without = deals.currentStage + deals.lostStageUnknown;
    const who = deals.currentStage === without ? (without === 1 ? 'It is' : 'Each is') : `${deals.currentStage} of them ${deals.currentStage === 1 ? 'is' : 'are'}`;
    assumptions.push(
      `${without} of ${deals.total} deals ${without === 1 ? 'has' : 'have'} no stage history. ${who} assumed to have passed through every stage before ${deals.currentStage === 1 ? 'its' : 'their'} current stage in the pipeline order (${prep.pipelines.map((pl) => `${pl.pipeline}: ${pl.stages.join(' → ')}`).join('; ')}), and won deals through every stage. Their entries and time in stage are unknown.`,
    );
  }
  if (deals.lostStageUnknown)
    assumptions.push(
      deals.lostStageUnknown === 1
        ? '1 lost deal has no stage history and a closing-lost stage, so the stage it was lost at is unknown: it counts as lost at the first stage, the only one it is known to have entered.'
        : `${deals.lostStageUnknown} lost deals have no stage history and a closing-lost stage, so the stage they were lost at is unknown: they count as lost at the first stage, the only one they are known to have entered.`,
    );

  const notes = [
    ...prep.notes,
    ...joinNotes,
    'reached: deals that got to the stage or a later one (a skipped stage counts as passed); entered: deals with a recorded entry into it. Won deals reached every stage.',
    'conversion_to_next = advanced / reached; conversion_to_won = won / reached; drop_off_rate = deals lost at the stage / reached; open_here: still open at the stage.',
    'Time in stage: days of completed visits (entered → exited), summed per deal; percentiles over the deals with one (timed_deals).',
    `Deals created ${prep.range.from} … ${prep.range.to} (UTC).`,
  ];
  if (deals.excluded)
    notes.push(
      p.mode === 'history'
        ? `Left out (mode history): ${deals.excluded} deal${deals.excluded === 1 ? '' : 's'} without stage history or in a stage missing from the order.`
        : `Left out: ${deals.excluded} deal${deals.excluded === 1 ? '' : 's'} whose current stage is not in the pipeline's stage order.`,
    );

  const dimCols: ReportColumn[] = [
    { name: 'pipeline', label: 'Pipeline', type: 'string', role: 'dimension' },
    ...(p.cohort !== 'none' ? [{ name: 'cohort', label: `Created (${p.cohort})`, type: 'date' as const, role: 'time' as const }] : []),
    ...(p.breakdown ? [{ name: 'breakdown', label: funnelDimensions[p.breakdown].label, type: 'string' as const, role: 'dimension' as const }] : []),
  ];
  const strip = (r: ReportRow) => {
    const out = { ...r };
    if (p.cohort === 'none') delete out.cohort;
    if (!p.breakdown) delete out.breakdown;
    return out;
  };
  return {
    rows: rows.map(strip),
    columns: [...dimCols, ...stageColumns],
    lostReasons: lostReasons.map(strip),
    lostReasonColumns: [...dimCols, ...lostReasonColumns],
    pipelines: prep.pipelines,
    mode,
    deals,
    range: prep.range,
    notes,
    assumptions,
  };
}

const stageColumns: ReportColumn[] = [
  { name: 'stage_index', label: 'Step', type: 'number', role: 'dimension' },
  { name: 'stage', label: 'Stage', type: 'string', role: 'dimension' },
  { name: 'reached', label: 'Reached', type: 'number', role: 'measure', format: 'count' },
  { name: 'entered', label: 'Entered (recorded)', type: 'number', role: 'measure', format: 'count' },
  { name: 'advanced', label: 'Advanced', type: 'number', role: 'measure', format: 'count' },
  { name: 'won', label: 'Won', type: 'number', role: 'measure', format: 'count' },
  { name: 'lost_here', label: 'Lost here', type: 'number', role: 'measure', format: 'count' },
  { name: 'open_here', label: 'Open here', type: 'number', role: 'measure', format: 'count' },
  { name: 'conversion_from_first', label: 'Conversion from first stage', type: 'number', role: 'measure', format: 'percent' },
  { name: 'conversion_to_next', label: 'Conversion to next', type: 'number', role: 'measure', format: 'percent' },
  { name: 'conversion_to_won', label: 'Conversion to won', type: 'number', role: 'measure', format: 'percent' },
  { name: 'drop_off_rate', label: 'Drop-off', type: 'number', role: 'measure', format: 'percent' },
  { name: 'days_in_stage_p50', label: 'Days in stage, median', type: 'number', role: 'measure', format: 'days' },
  { name: 'days_in_stage_p75', label: 'Days in stage, p75', type: 'number', role: 'measure', format: 'days' },
  { name: 'days_in_stage_p90', label: 'Days in stage, p90', type: 'number', role: 'measure', format: 'days' },
  { name: 'timed_deals', label: 'Deals timed', type: 'number', role: 'measure', format: 'count' },
];

const lostReasonColumns: ReportColumn[] = [
  { name: 'stage_index', label: 'Step', type: 'number', role: 'dimension' },
  { name: 'stage', label: 'Lost at stage', type: 'string', role: 'dimension' },
  { name: 'lost_reason', label: 'Lost reason', type: 'string', role: 'dimension' },
  { name: 'deals', label: 'Deals', type: 'number', role: 'measure', format: 'count' },
  { name: 'share_of_stage_losses', label: "Share of the stage's losses", type: 'number', role: 'measure', format: 'percent' },
  { name: 'amount', label: 'Amount lost', type: 'number', role: 'measure', format: 'currency' },
];

/** Adds zero rows for stages no deal of a group reached, so every funnel lists every stage and 'won'. */
function fillStages(rows: ReportRow[], pipelines: ResolvedPipeline[]): ReportRow[] {
  const groups = new Map<string, ReportRow[]>();
  for (const r of rows) {
    const k = JSON.stringify([r.pipeline, r.cohort ?? null, r.breakdown ?? null]);
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k)!.push(r);
  }
  const out: ReportRow[] = [];
  for (const list of groups.values()) {
    const first = list[0];
    const pl = pipelines.find((x) => x.pipeline === first.pipeline);
    if (!pl) {
      out.push(...list);
      continue;
    }
    const byIdx = new Map(list.map((r) => [Number(r.stage_index), r]));
    const names = [...pl.stages, 'won'];
    names.forEach((stage, i) => {
      const idx = i + 1;
      const have = byIdx.get(idx);
      if (have) out.push(have);
      else {
        const isWon = idx > pl.stages.length;
        out.push({
          pipeline: first.pipeline,
          cohort: first.cohort ?? null,
          breakdown: first.breakdown ?? null,
          stage_index: idx,
          stage,
          reached: 0,
          entered: first.entered === null ? null : 0,
          advanced: isWon ? null : 0,
          won: 0,
          lost_here: 0,
          open_here: 0,
          conversion_from_first: 0,
          conversion_to_next: null,
          conversion_to_won: null,
          drop_off_rate: null,
          days_in_stage_p50: null,
          days_in_stage_p75: null,
          days_in_stage_p90: null,
          timed_deals: 0,
        });
      }
    });
  }
  return out;
}

/**
 * The deals lost at each stage (or at `stage`), as a query with the columns of funnel_dropoffs except
 * run_id and funnel. Set-based: the caller inserts … selects it.
 */
export async function stageDropoffQuery(wh: Warehouse, input: unknown, stage?: string): Promise<AnyQuery> {
  const prep = await prepareStageFunnel(wh, input);
  const { q } = await scopedQuery(wh, prep);
  let dq = q.where(sql<boolean>`f.is_furthest and f.status = 'lost'`);
  if (stage !== undefined) {
    const stages = [...new Set(prep.pipelines.flatMap((pl) => pl.stages))];
    if (!stages.some((s) => s.toLowerCase() === stage.toLowerCase()))
      throw new ValidationError(`unknown stage '${stage}'; stages: ${stages.join(', ')}`, { field: 'step' });
    dq = dq.where(sql<boolean>`lower(f.stage) = ${stage.toLowerCase()}`);
  }
  return dq.select([
    sql`f.stage`.as('step'),
    sql`f.stage_idx`.as('step_index'),
    sql`f.customer_id`.as('customer_id'),
    sql`f.deal_id`.as('deal_id'),
    sql`cast(null as varchar)`.as('touch_id'),
    sql`f.campaign_id`.as('campaign_id'),
    sql`coalesce(f.lost_reason, 'lost')`.as('reason'),
    sql`f.closed_at`.as('dropped_at'),
  ]);
}
