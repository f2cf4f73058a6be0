import type { Kysely } from 'kysely';
import type { Database, Warehouse } from '../../warehouse/index.ts';
import { todayUtc } from '../reports/params.ts';
import type { AnyQuery } from '../reports/grid.ts';
import { marketingDropoffQuery, marketingFunnel, marketingFunnelParamsSchema } from './marketing-funnel.ts';
import { stageDropoffQuery, stageFunnel, stageFunnelParamsSchema } from './stage-funnel.ts';

/** The funnel model's own tables (migration 200), for typed Kysely access with `withTables`. */
export type FunnelTables = {
  funnel_runs: {
    run_id: number;
    kind: 'stage' | 'marketing';
    as_of: string;
    created_at: string;
    params: string;
    mode: string | null;
    assumptions: string | null;
    summary: string | null;
  };
  funnel_stage_results: {
    run_id: number;
    pipeline: string;
    cohort: string | null;
    breakdown: string | null;
    stage_index: number;
    stage: string;
    reached: number;
    entered: number | null;
    advanced: number;
    won: number;
    lost_here: number;
    open_here: number;
    conversion_to_next: number | null;
    conversion_to_won: number | null;
    drop_off_rate: number | null;
    days_in_stage_p50: number | null;
    days_in_stage_p75: number | null;
    days_in_stage_p90: number | null;
  };
  funnel_dropoffs: {
    run_id: number;
    funnel: 'stage' | 'marketing';
    step: string;
    step_index: number;
    customer_id: number | null;
    deal_id: string | null;
    touch_id: string | null;
    campaign_id: string | null;
    reason: string | null;
    dropped_at: string | null;
  };
};

export function funnelDb(wh: Warehouse): Kysely<Database & FunnelTables> {
  return wh.db.withTables<FunnelTables>();
}

export interface SavedFunnelRun {
  runId: number;
  kind: 'stage' | 'marketing';
  stageRows: number;
  dropoffs: number;
  summary: string;
}

/**
 * Runs a funnel and stores it: the run (params, assumptions), the stage results (stage funnel), and
 * the drop-offs — every deal lost at a stage, or every touch that stopped before the next step (only
 * `step` when given) — in funnel_dropoffs, all in one transaction. A segment rule then selects
 * `customer_id from funnel_dropoffs where run_id = … and step = …`.
 *
 * @example
 * const run = await saveFunnelRun(wh, 'stage', { pipeline: 'sales' }, { step: 'proposal' });
 * await wh.all('select customer_id from funnel_dropoffs where run_id = $r', { r: run.runId });
 */
export async function saveFunnelRun(
  wh: Warehouse,
  kind: 'stage' | 'marketing',
  input: unknown,
  options: { step?: string; asOf?: string } = {},
): Promise<SavedFunnelRun> {
  let dropQuery: AnyQuery;
  let results: Record<string, unknown>[] = [];
  let mode: string | null = null;
  let assumptions: string[] = [];
  let params: unknown;
  let stepCounts = '';
  if (kind === 'stage') {
    const f = await stageFunnel(wh, input);
    params = stageFunnelParamsSchema.parse(input ?? {});
    results = f.rows.map((r) => ({ ...r, cohort: r.cohort ?? null, breakdown: r.breakdown ?? null }));
    mode = f.mode;
    assumptions = f.assumptions;
    dropQuery = await stageDropoffQuery(wh, input, options.step);
  } else {
    params = marketingFunnelParamsSchema.parse(input ?? {});
    const f = await marketingFunnel(wh, input); // validates and fails early on a bad segment/breakdown
    // The steps' counts go into the summary (funnel_stage_results has the deal-stage shape).
    const reached = new Map<string, number>();
    for (const r of f.rows) reached.set(String(r.step), (reached.get(String(r.step)) ?? 0) + Number(r.reached ?? 0));
    stepCounts = [...reached].map(([step, n]) => `${step} ${n}`).join(' → ');
    dropQuery = await marketingDropoffQuery(wh, input, options.step);
  }
  const compiled = dropQuery.compile();
  return wh.transaction(async (tx) => {
    const [{ run_id: runId }] = await tx.all<{ run_id: number }>("select nextval('funnel_run_id_seq') as run_id");
    const dropoffs = await tx.run(
      `insert into funnel_dropoffs (run_id, funnel, step, step_index, customer_id, deal_id, touch_id, campaign_id, reason, dropped_at)
       select ${Number(runId)}, '${kind}', d.step, d.step_index, d.customer_id, d.deal_id, d.touch_id, d.campaign_id, d.reason, d.dropped_at
       from (${compiled.sql}) as d`,
      [...compiled.parameters],
    );
    if (results.length)
      await tx.run(
        `insert into funnel_stage_results
         select $run_id, pipeline, cohort, breakdown, stage_index, stage, reached, entered, coalesce(advanced, 0), won, lost_here, open_here,
           conversion_to_next, conversion_to_won, drop_off_rate, days_in_stage_p50, days_in_stage_p75, days_in_stage_p90
         from (select unnest(from_json(cast($rows as json), $shape), recursive := true))`,
        { run_id: runId, rows: JSON.stringify(results), shape: JSON.stringify([resultShape]) },
      );
    const summary = `${kind} funnel run ${runId}: ${kind === 'stage' ? `${results.length} stage rows` : `touches by step ${stepCounts || '(none)'}`}, ${dropoffs} drop-offs${options.step ? ` at ${options.step}` : ''}${mode ? ` (paths: ${mode})` : ''}`;
    await tx.run(
      `insert into funnel_runs (run_id, kind, as_of, created_at, params, mode, assumptions, summary)
       values ($run_id, $kind, cast($as_of as date), now(), cast($params as json), $mode, cast($assumptions as json), $summary)`,
      {
        run_id: runId,
        kind,
        as_of: options.asOf ?? todayUtc(),
        params: JSON.stringify({ ...(params as object), ...(options.step ? { step: options.step } : {}) }),
        mode,
        assumptions: JSON.stringify(assumptions),
        summary,
      },
    );
    return { runId, kind, stageRows: results.length, dropoffs, summary };
  });
}

const resultShape = {
  pipeline: 'VARCHAR',
  cohort: 'DATE',
  breakdown: 'VARCHAR',
  stage_index: 'INTEGER',
  stage: 'VARCHAR',
  reached: 'BIGINT',
  entered: 'BIGINT',
  advanced: 'BIGINT',
  won: 'BIGINT',
  lost_here: 'BIGINT',
  open_here: 'BIGINT',
  conversion_to_next: 'DOUBLE',
  conversion_to_won: 'DOUBLE',
  drop_off_rate: 'DOUBLE',
  days_in_stage_p50: 'DOUBLE',
  days_in_stage_p75: 'DOUBLE',
  days_in_stage_p90: 'DOUBLE',
};

/**
 * The customers who dropped off in a saved run (optionally at one step): what a segment rule needs.
 *
 * @example
 * await dropoffCustomers(wh, 7, 'proposal').execute(); // [{ customer_id: 12 }, …]
 */
export function dropoffCustomers(wh: Warehouse, runId: number, step?: string) {
  let q = funnelDb(wh).selectFrom('funnel_dropoffs').select('customer_id').distinct().where('run_id', '=', runId).where('customer_id', 'is not', null);
  if (step !== undefined) q = q.where('step', '=', step);
  return q.orderBy('customer_id');
}
