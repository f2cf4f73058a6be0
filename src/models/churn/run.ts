/**
 * A churn run over `subscriptions`: Kaplan–Meier survival overall, by plan and by start-month cohort;
 * an sBG fit overall and per plan (survival projection, expected lifetime); monthly churn rates.
 * Outputs replace churn_survival and churn_monthly in one transaction; the run is logged in model_runs.
 */
import { z } from 'zod';
import { AppError, fromZodError } from '../../errors.ts';
import { sqlFile, type Warehouse } from '../../warehouse/index.ts';
import type { ConnectionQueries } from '../../warehouse/connection.ts';
import { appendRows, type AppendType } from '../clv/columns.ts';
import { finishModelRun, recordFit, startModelRun } from '../clv/model-runs.ts';
import type { FitResult } from '../clv/numeric/fit.ts';
import { kaplanMeier, type PeriodCounts } from './kaplan-meier.ts';
import { fitSbg, sbgDataProblem, sbgLifetime, sbgRetentionRate, sbgSurvival, type SbgParams } from './sbg.ts';

export const churnParamsSchema = z
  .object({
    /** Last day of data used (inclusive); default: the last day a subscription started or ended. */
    asOf: z.iso.date({ message: 'expected a date YYYY-MM-DD' }).optional(),
    /** Months the sBG survival curve is projected beyond the longest observed tenure. */
    projectionMonths: z.int().min(0).max(240).default(24),
    /** Monthly discount rate for the discounted expected lifetime. */
    discountRate: z.number().min(0).max(1).default(0.01),
  })
  .strict();
export type ChurnParams = z.output<typeof churnParamsSchema>;

export interface SbgGroupFit {
  groupType: 'all' | 'plan';
  groupValue: string;
  fit: FitResult<keyof SbgParams> | null;
  problem: string | null;
  lifetime: ReturnType<typeof sbgLifetime> | null;
}

export interface ChurnRunResult {
  runId: number;
  asOfDate: string;
  subscriptions: number;
  fits: SbgGroupFit[];
  warnings: string[];
  summary: string;
}

interface PeriodRow {
  group_type: 'all' | 'plan' | 'cohort';
  group_value: string;
  month: number;
  churned: number;
  censored: number;
}

/**
 * Runs the churn model. Throws AppError('MODEL') when there are no subscriptions (the failed run is
 * recorded); a group whose sBG cannot be fitted is reported in the warnings and model_fits.
 *
 * @example const r = await runChurn(wh, { asOf: '2026-10-31' }); r.fits[0].fit?.params // { alpha, beta }
 */
export async function runChurn(wh: Warehouse, input: unknown = {}): Promise<ChurnRunResult> {
  const parsed = churnParamsSchema.safeParse(input);
  if (!parsed.success) throw fromZodError(parsed.error, 'churn parameters');
  const params = parsed.data;
  const runId = await startModelRun(wh, 'churn', params);
  try {
    return await wh.withConnection((q) => runOnConnection(q, runId, params));
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    await finishModelRun(wh, runId, { status: 'failed', asOfDate: params.asOf ?? null, error: message, summary: `churn run ${runId} failed: ${message}` }).catch(() => undefined);
    if (e instanceof AppError) throw new AppError(e.code, e.message, { ...e.details, runId });
    throw new AppError('MODEL', `churn run ${runId} failed: ${message}`, { runId });
  }
}

async function runOnConnection(q: ConnectionQueries, runId: number, params: ChurnParams): Promise<ChurnRunResult> {
  const [bounds] = await q.all<{ n: number; first_start: string | null; last_event: string | null }>(
    `select count(*) as n, cast(min(started_at) as date) as first_start,
            cast(greatest(max(started_at), coalesce(max(cancelled_at), max(started_at))) as date) as last_event
     from subscriptions`,
  );
  if (bounds.n === 0) throw new AppError('MODEL', 'there are no subscriptions in the warehouse: load subscriptions first (crm ingest …)');
  const asOf = params.asOf ?? bounds.last_event!;
  if (asOf < bounds.first_start!) throw new AppError('MODEL', `no subscription started on or before ${asOf}; the first started on ${bounds.first_start}`);

  const rows = await q.all<PeriodRow>(sqlFile('models/churn/subscription_periods'), { as_of: asOf });
  const groups = new Map<string, PeriodRow[]>();
  for (const r of rows) {
    const key = `${r.group_type}\u0000${r.group_value}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const subscriptions = (groups.get('all\u0000(all)') ?? []).reduce((s, r) => s + r.churned + r.censored, 0);

  const survival: Record<string, (string | number | null)[]> = {
    method: [], group_type: [], group_value: [], month: [], at_risk: [], churned: [], censored: [], survival: [], retention_rate: [], std_error: [], ci_low: [], ci_high: [],
  };
  const push = (row: Record<string, string | number | null>) => {
    for (const k of Object.keys(survival)) survival[k].push(row[k] ?? null);
  };
  const fits: SbgGroupFit[] = [];
  const warnings: string[] = [];
  for (const [, groupRows] of groups) {
    const { group_type: groupType, group_value: groupValue } = groupRows[0];
    const counts: PeriodCounts[] = groupRows.map((r) => ({ month: r.month, churned: r.churned, censored: r.censored }));
    const km = kaplanMeier(counts);
    for (const p of km) {
      push({
        method: 'kaplan_meier', group_type: groupType, group_value: groupValue, month: p.month, at_risk: p.atRisk, churned: p.churned, censored: p.censored,
        survival: p.survival, retention_rate: p.retentionRate, std_error: p.stdError, ci_low: p.ciLow, ci_high: p.ciHigh,
      });
    }
    if (groupType === 'cohort') continue;
    const data = { period: counts.map((c) => c.month), churned: counts.map((c) => c.churned), censored: counts.map((c) => c.censored) };
    const problem = sbgDataProblem(data);
    if (problem) {
      fits.push({ groupType, groupValue, fit: null, problem, lifetime: null });
      warnings.push(`sBG not fitted for ${groupType} ${groupValue}: ${problem}`);
      continue;
    }
    const fit = fitSbg(data);
    const lifetime = sbgLifetime(fit.params, params.discountRate);
    fits.push({ groupType, groupValue, fit, problem: fit.converged ? null : fit.message, lifetime });
    await recordFit(q, runId, 'sbg', groupType === 'all' ? '(all)' : `plan=${groupValue}`, fit, {
      expected_lifetime_months: lifetime.mean,
      median_lifetime_months: lifetime.median,
      discounted_expected_lifetime_months: lifetime.discountedExpectedLifetime,
      monthly_discount_rate: params.discountRate,
    });
    if (!fit.converged) {
      warnings.push(`sBG for ${groupType} ${groupValue} did not converge (${fit.message}); its projection is not written`);
      continue;
    }
    const horizon = Math.max(...counts.map((c) => c.month)) + params.projectionMonths;
    sbgSurvival(fit.params, horizon).forEach((s, t) =>
      push({
        method: 'sbg', group_type: groupType, group_value: groupValue, month: t, at_risk: null, churned: null, censored: null,
        survival: s, retention_rate: t === 0 ? null : sbgRetentionRate(fit.params, t), std_error: null, ci_low: null, ci_high: null,
      }),
    );
  }

  const overall = fits.find((f) => f.groupType === 'all');
  const allConverged = fits.every((f) => f.fit === null || f.fit.converged);
  const summary = `churn run ${runId} as of ${asOf}: ${subscriptions} subscriptions${
    overall?.fit ? `, sBG α=${overall.fit.params.alpha.toPrecision(4)} β=${overall.fit.params.beta.toPrecision(4)}` : ''
  }${overall?.lifetime?.median != null ? `, median lifetime ${overall.lifetime.median} months` : ''}`;

  await q.run('begin transaction');
  try {
    await q.run('delete from churn_survival');
    const n = survival.month.length;
    await appendRows(q.conn, 'churn_survival', [
      { type: 'bigint', values: new Array(n).fill(runId) },
      { type: 'varchar', values: new Array(n).fill(asOf) },
      ...Object.entries(survival).map(([k, values]) => ({ type: columnTypes[k], values })),
    ]);
    await q.run('delete from churn_monthly');
    await q.run(`insert into churn_monthly select $run_id, cast($as_of as date), * from (${sqlFile('models/churn/monthly_churn')})`, { run_id: runId, as_of: asOf });
    await finishModelRun(q, runId, {
      status: allConverged ? 'succeeded' : 'not_converged',
      asOfDate: asOf,
      dataStart: bounds.first_start,
      dataEnd: asOf,
      nCustomers: subscriptions,
      converged: allConverged,
      logLikelihood: overall?.fit?.logLikelihood ?? null,
      parameters: Object.fromEntries(fits.map((f) => [f.groupType === 'all' ? 'sbg' : `sbg[plan=${f.groupValue}]`, f.fit?.params ?? null])),
      stdErrors: Object.fromEntries(fits.map((f) => [f.groupType === 'all' ? 'sbg' : `sbg[plan=${f.groupValue}]`, f.fit?.stdErrors ?? null])),
      diagnostics: { fits: fits.map((f) => ({ group: f.groupValue, converged: f.fit?.converged ?? false, message: f.fit?.message ?? f.problem, lifetime: f.lifetime })) },
      warnings,
      summary,
      error: allConverged ? null : 'some sBG fits did not converge; see warnings. What to try: a later --as-of (more churn observed), or check cancelled_at is loaded',
    });
    await q.run('commit');
  } catch (e) {
    await q.run('rollback').catch(() => undefined);
    throw e;
  }
  return { runId, asOfDate: asOf, subscriptions, fits, warnings, summary };
}

const columnTypes: Record<string, AppendType> = {
  method: 'varchar',
  group_type: 'varchar',
  group_value: 'varchar',
  month: 'integer',
  at_risk: 'bigint',
  churned: 'bigint',
  censored: 'bigint',
  survival: 'double',
  retention_rate: 'double',
  std_error: 'double',
  ci_low: 'double',
  ci_high: 'double',
};
