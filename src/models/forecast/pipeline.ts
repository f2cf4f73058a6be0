import { sql, type RawBuilder } from 'kysely';
import { z } from 'zod';
import { fromZodError } from '../../errors.ts';
import type { Warehouse } from '../../warehouse/index.ts';
import { resolveStageOrder, stageConfigFrom, stageRows, type ResolvedPipeline } from '../funnel/stage-config.ts';
import { addDays, addMonths, boolParam, intParam, isoDate, monthStart, numberParam, todayUtc } from '../reports/params.ts';
import { sqlFragment } from '../reports/sql-fragment.ts';

export const pipelineForecastParamsSchema = z
  .object({
    /** The day the pipeline is weighed (default today). Win rates learn from deals closed before it. */
    asOf: isoDate.optional(),
    /** Learn a rate per owner's team (shrunk towards the pipeline's rate) as well as per pipeline. */
    perTeam: boolParam.default(false),
    /** Pseudo-deals of the prior (Beta prior strength): how many closed deals a stage needs before its own rate dominates. */
    priorStrength: numberParam.pipe(z.number().min(0).max(10_000)).default(10),
    /** Learn from deals closed in the last N months before as-of. */
    lookbackMonths: intParam(1, 240).default(24),
    /** Probability at or above which a deal is Commit (unless the deal sets its category). */
    commitThreshold: numberParam.pipe(z.number().min(0).max(1)).default(0.7),
    /** Probability at or above which a deal is Best case. */
    bestCaseThreshold: numberParam.pipe(z.number().min(0).max(1)).default(0.4),
    /** Stage order, inline; default queries/models/funnel/stages.json. */
    stages: z.unknown().optional(),
  })
  .strict()
  .refine((p) => p.bestCaseThreshold <= p.commitThreshold, { path: ['bestCaseThreshold'], message: 'must not exceed commitThreshold' });
export type PipelineForecastParams = z.output<typeof pipelineForecastParamsSchema>;

export interface StageCount {
  pipeline: string;
  team: string | null;
  stage_idx: number;
  stage: string;
  closed: number;
  won: number;
}

export interface WinRate {
  pipeline: string;
  /** null: the pipeline-level rate. */
  team: string | null;
  stage_idx: number;
  stage: string;
  closed: number;
  won: number;
  raw_rate: number | null;
  probability: number;
}

export interface BaseRate {
  pipeline: string;
  closed: number;
  won: number;
  probability: number;
}

/**
 * Smoothed stage win probabilities (pure). For each pipeline, a base rate (won + 1) / (closed + 2)
 * over all its closed deals (Laplace); each stage's rate is the Beta-posterior mean with the base rate
 * as prior mean and `k` pseudo-deals: (won + k·base) / (closed + k). Team rates shrink towards their
 * pipeline's stage rate the same way. A stage no closed deal reached gets the prior.
 *
 * @example
 * smoothWinRates([{ pipeline: 'p', team: null, stage_idx: 1, stage: 'lead', closed: 10, won: 2 }], [{ pipeline: 'p', stage: 'lead', idx: 1 }], 10)
 * // base (2 + 1) / (10 + 2) = 0.25; lead: (2 + 10 × 0.25) / (10 + 10) = 0.225
 */
export function smoothWinRates(
  counts: StageCount[],
  stages: { pipeline: string; stage: string; idx: number }[],
  k: number,
  perTeam = false,
): { rates: WinRate[]; base: BaseRate[] } {
  const pipelines = [...new Set(stages.map((s) => s.pipeline))];
  const rates: WinRate[] = [];
  const base: BaseRate[] = [];
  for (const pl of pipelines) {
    const pc = counts.filter((c) => c.pipeline === pl);
    // Every kept closed deal reached the first stage, so stage 1 holds the pipeline's closed deals.
    const first = pc.filter((c) => c.stage_idx === 1);
    const closed = first.reduce((s, c) => s + c.closed, 0);
    const won = first.reduce((s, c) => s + c.won, 0);
    const b = (won + 1) / (closed + 2);
    base.push({ pipeline: pl, closed, won, probability: b });
    for (const st of stages.filter((s) => s.pipeline === pl).sort((a, c) => a.idx - c.idx)) {
      const sc = pc.filter((c) => c.stage_idx === st.idx);
      const n = sc.reduce((s, c) => s + c.closed, 0);
      const w = sc.reduce((s, c) => s + c.won, 0);
      const p = (w + k * b) / (n + k || 1);
      rates.push({ pipeline: pl, team: null, stage_idx: st.idx, stage: st.stage, closed: n, won: w, raw_rate: n ? w / n : null, probability: n + k === 0 ? b : p });
      if (perTeam)
        for (const c of sc.filter((x) => x.team !== null)) {
          const pt = (c.won + k * p) / (c.closed + k || 1);
          rates.push({ pipeline: pl, team: c.team, stage_idx: st.idx, stage: st.stage, closed: c.closed, won: c.won, raw_rate: c.closed ? c.won / c.closed : null, probability: c.closed + k === 0 ? p : pt });
        }
    }
  }
  return { rates, base };
}

export interface PreparedPipeline {
  p: PipelineForecastParams;
  asOf: string;
  monthStart: string;
  pipelines: ResolvedPipeline[];
  rates: WinRate[];
  base: BaseRate[];
  /** The weighted deals: open deals and the as-of month's won deals (queries/models/forecast/deal-forecast.sql). */
  deals(): RawBuilder<unknown>;
  notes: string[];
}

/**
 * Learns stage win probabilities from closed deals and prepares the weighted-pipeline facts.
 *
 * @example
 * const prep = await preparePipelineForecast(wh, { perTeam: true });
 * await wh.db.selectFrom(prep.deals().as('d')).select(sql`sum(d.weighted_amount)`.as('weighted')).execute();
 */
export async function preparePipelineForecast(wh: Warehouse, input: unknown): Promise<PreparedPipeline> {
  const parsed = pipelineForecastParamsSchema.safeParse(input ?? {});
  if (!parsed.success) throw fromZodError(parsed.error, 'pipeline forecast');
  const p = parsed.data;
  const asOf = p.asOf ?? todayUtc();
  const asOfEnd = addDays(asOf, 1);
  const config = stageConfigFrom({ stages: p.stages });
  const names = (await wh.all<{ pipeline: string }>('select distinct pipeline from deals order by pipeline')).map((r) => r.pipeline);
  const { resolved, missing } = await resolveStageOrder(wh, config, names);
  const stagesJson = JSON.stringify(stageRows(resolved));
  const closedFrom = addMonths(asOf, -p.lookbackMonths);
  const facts = sqlFragment('models/funnel/deal-stages', { stages: stagesJson, from: '0001-01-01', to: asOfEnd, pipeline: null, mode: 'auto' });
  const counts = (await wh.db
    .selectFrom(facts.as('f'))
    .leftJoin('employees as e', (j) => j.on(sql<boolean>`e.employee_id = f.employee_id`))
    .where(sql<boolean>`f.status in ('won', 'lost') and f.stage_idx <= f.open_stages`)
    .where(sql<boolean>`f.closed_at >= cast(${closedFrom} as timestamptz) and f.closed_at < cast(${asOfEnd} as timestamptz)`)
    .select([
      sql<string>`f.pipeline`.as('pipeline'),
      sql<string | null>`e.team`.as('team'),
      sql<number>`f.stage_idx`.as('stage_idx'),
      sql<string>`f.stage`.as('stage'),
      sql<number>`count(*)`.as('closed'),
      sql<number>`count(*) filter (where f.status = 'won')`.as('won'),
    ])
    .groupBy([sql`f.pipeline`, sql`e.team`, sql`f.stage_idx`, sql`f.stage`])
    // A fixed order, so that the team rates (listed in this order) come out the same on every run.
    .orderBy(sql`f.pipeline`)
    .orderBy(sql`f.stage_idx`)
    .orderBy(sql`e.team nulls first`)
    .execute()) as StageCount[];
  const stageList = resolved.flatMap((pl) => pl.stages.map((stage, i) => ({ pipeline: pl.pipeline, stage, idx: i + 1 })));
  const { rates, base } = smoothWinRates(counts, stageList, p.priorStrength, p.perTeam);
  const ms = monthStart(asOf);
  const notes = [
    `Stage win probabilities learned from ${base.reduce((s, b) => s + b.closed, 0)} deals closed ${closedFrom} … ${asOf}: P(won | reached the stage), smoothed towards the pipeline's overall win rate with ${p.priorStrength} pseudo-deals${p.perTeam ? ', per owner team (shrunk towards the pipeline rate)' : ''}.`,
    `Forecast categories: the deal's own forecast_category when set; otherwise commit at probability ≥ ${p.commitThreshold}, best case ≥ ${p.bestCaseThreshold}, pipeline below; closed = won since ${ms}. Omitted deals weigh 0.`,
    `Open deals whose expected close month has passed count in ${ms} (is_overdue).`,
    'The pipeline is the deals as they are now: an as-of date in the past changes which closed deals the rates learn from, not which deals were open then.',
  ];
  if (missing.length) notes.push(`Pipelines without a stage order (${missing.join(', ')}): their open deals get probability 0; add them to a stages file.`);
  return {
    p,
    asOf,
    monthStart: ms,
    pipelines: resolved,
    rates,
    base,
    notes,
    deals: () =>
      sqlFragment('models/forecast/deal-forecast', {
        stages: stagesJson,
        rates: JSON.stringify(rates.map((r) => ({ pipeline: r.pipeline, team: r.team, stage_idx: r.stage_idx, probability: r.probability }))),
        base: JSON.stringify(base.map((b) => ({ pipeline: b.pipeline, probability: b.probability }))),
        month_start: ms,
        as_of_end: asOfEnd,
        commit: p.commitThreshold,
        best_case: p.bestCaseThreshold,
      }),
  };
}
