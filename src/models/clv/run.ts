/**
 * A CLV run: RFM summary in DuckDB → BG/NBD and Gamma-Gamma fits on compressed data in TypeScript →
 * per-customer scores in DuckDB (₂F₁ terms joined per distinct (frequency, tenure)) → output tables,
 * replaced in one transaction. Every run is logged in model_runs, including failures.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { AppError } from '../../errors.ts';
import { sqlFile, type Warehouse } from '../../warehouse/index.ts';
import type { ConnectionQueries } from '../../warehouse/connection.ts';
import { bgnbdDataProblem, type BgNbdParams, type Triples, fitBgNbd } from './bgnbd.ts';
import { appendRows, countSortedRows, readNumericColumns } from './columns.ts';
import { fitGammaGamma, gammaGammaDataProblem, populationMeanSpend, type GammaGammaParams } from './gamma-gamma.ts';
import { finishModelRun, recordFit, startModelRun } from './model-runs.ts';
import type { FitResult } from './numeric/fit.ts';
import { MONTH_WEEKS, parseClvParams, unitDays, type ClvParams, type ClvParamsInput } from './params.ts';
import { expectedCumulativeByWeek, predictionTerms } from './predict.ts';

export interface FrequencyBucket {
  frequency_bucket: string;
  bucket_order: number;
  customers: number;
  actual_mean: number;
  expected_mean: number;
  actual_total: number;
  expected_total: number;
}

export interface TrackingWeek {
  week: number;
  week_end: string;
  period: 'calibration' | 'holdout';
  actual: number | null;
  expected: number;
  actual_cumulative: number | null;
  expected_cumulative: number;
}

export interface ValidationTotals {
  customers: number;
  calibration_actual: number;
  calibration_expected_unconditional: number;
  holdout_actual: number;
  holdout_expected_conditional: number;
  holdout_expected_unconditional: number;
  holdout_mae: number;
  holdout_rmse: number;
  holdout_correlation: number | null;
  /** (expected − actual) / actual of the conditional holdout total, in percent. */
  holdout_error_pct: number | null;
  tracking_end_actual: number | null;
  tracking_end_expected: number | null;
}

export interface ClvValidation {
  holdoutLength: number;
  byFrequency: FrequencyBucket[];
  tracking: TrackingWeek[];
  totals: ValidationTotals;
}

export interface DataChecks {
  orders_in_window: number;
  purchase_orders: number;
  zero_value_orders: number;
  returned_orders: number;
  negative_total_orders: number;
  cancelled_or_pending_orders: number;
  customers_after_window: number;
  first_purchase_day: string | null;
}

export interface ClvRunResult {
  runId: number;
  status: 'succeeded' | 'not_converged';
  asOfDate: string;
  holdoutEnd: string | null;
  unit: ClvParams['unit'];
  dataStart: string;
  nCustomers: number;
  nRepeatCustomers: number;
  bgnbd: FitResult<keyof BgNbdParams>;
  /** Null when no spend model could be fitted; scores then use each customer's observed mean. */
  gammaGamma: FitResult<keyof GammaGammaParams> | null;
  spendModel: 'gamma_gamma' | 'observed_mean';
  populationMeanSpend: number | null;
  validation: ClvValidation | null;
  checks: DataChecks;
  warnings: string[];
  /** What to try when the run did not converge. */
  error: string | null;
  saved: boolean;
  summary: string;
  params: ClvParams;
  /** Milliseconds per step (summary, fits, terms, scores, validation, write), for diagnostics and the bench. */
  timings: Record<string, number>;
}

const NOT_CONVERGED_HINT =
  'what to try: check the data window (--calibration-end) covers several purchase cycles, switch the time unit (--unit day|week), and look for bulk-loaded or duplicated orders that make many customers look identical';

/**
 * Fits and scores. Throws AppError('MODEL') with a clear reason when the data cannot support a fit
 * (the failed run is recorded in model_runs first); returns status 'not_converged' without touching
 * the current scores when the optimiser did not converge.
 *
 * @example
 * const r = await runClv(wh, { calibrationEnd: '1997-09-30', holdoutEnd: '1998-06-30', unit: 'week' });
 * r.bgnbd.params.r // 0.2426
 */
export async function runClv(wh: Warehouse, input: ClvParamsInput = {}): Promise<ClvRunResult> {
  const params = parseClvParams(input);
  const runId = await startModelRun(wh, 'clv', params);
  try {
    return await wh.withConnection(async (q) => {
      try {
        return await runOnConnection(wh, q, runId, params);
      } finally {
        // Pooled connections live on: do not keep a million-row temp table on one.
        await q.run('drop table if exists clv_summary; drop table if exists clv_terms; drop table if exists clv_scores').catch(() => undefined);
      }
    });
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    await finishModelRun(wh, runId, {
      status: 'failed',
      asOfDate: params.calibrationEnd ?? null,
      holdoutEnd: params.holdoutEnd ?? null,
      timeUnit: params.unit,
      error: message,
      summary: `clv run ${runId} failed: ${message.split('\n')[0]}`,
    }).catch(() => undefined);
    if (e instanceof AppError) throw new AppError(e.code, e.message, { ...e.details, runId });
    throw new AppError('MODEL', `clv run ${runId} failed: ${message}`, { runId });
  }
}

async function runOnConnection(wh: Warehouse, q: ConnectionQueries, runId: number, params: ClvParams): Promise<ClvRunResult> {
  const conn = q.conn;
  const warnings: string[] = [];
  const timings: Record<string, number> = {};
  let mark = performance.now();
  const lap = (step: string) => {
    const now = performance.now();
    timings[step] = Math.round(now - mark);
    mark = now;
  };
  const calibrationEnd = params.calibrationEnd ?? (await lastPurchaseDay(q));
  if (params.holdoutEnd && params.holdoutEnd <= calibrationEnd) {
    throw new AppError('VALIDATION', `the holdout end ${params.holdoutEnd} must be after the calibration end ${calibrationEnd}`);
  }
  const holdoutEnd = params.holdoutEnd ?? null;
  const days = unitDays[params.unit];

  // The run reads neither the unrounded days nor the holdout revenue: they are not materialised.
  await q.run(`create or replace temp table clv_summary as select * exclude (recency_days, tenure_days, holdout_revenue) from (${sqlFile('models/clv/summary')})`, {
    calibration_end: calibrationEnd,
    holdout_end: holdoutEnd,
    unit_days: days,
    by_order: params.granularity === 'order',
    gross: params.spendValue === 'gross',
  });
  const [late] = await q.all<{ customers_after_window: number; first_purchase_day: string | null }>(
    'select count(*) filter (where not in_window) as customers_after_window, min(first_purchase_date) as first_purchase_day from clv_summary',
  );
  // Customers first seen after the calibration end are counted, not modelled.
  if (late.customers_after_window > 0) await q.run('delete from clv_summary where not in_window');
  lap('summary_ms');
  const [counts] = await q.all<{ customers: number; repeaters: number; zero_spend: number; data_start: string | null }>(
    `select count(*) as customers, count(*) filter (where frequency > 0) as repeaters,
            count(*) filter (where frequency > 0 and monetary_value <= 0) as zero_spend, min(first_purchase_date) as data_start
     from clv_summary`,
  );
  if (counts.customers === 0) {
    const [{ first }] = await q.all<{ first: string | null }>('select min(purchase_day) as first from model_purchases');
    const hint = first
      ? `the first completed purchase is on ${first}; choose a calibration end after it`
      : 'there are no completed orders with a non-negative total; load orders first (crm ingest …)';
    throw new AppError('MODEL', `no customer has a completed purchase on or before ${calibrationEnd}: ${hint}`);
  }
  // BG/NBD on compressed (x, tₓ, T); Gamma-Gamma on repeat customers with a positive mean value. Sorted:
  // a parallel GROUP BY returns its groups in a different order from run to run, and the order moves the
  // fits' subsample and the rounding of their sums — unsorted, the same data gave estimates 1e-7 to 1e-5
  // apart (and CLVs a cent apart) from one run to the next. The same data must give the same numbers.
  // The rows are read sorted and counted in JS (countSortedRows): the same distinct triples in the same
  // order as `count(*) … group by all order by all`, without hashing a million rows into groups first.
  const triples = countSortedRows(
    await readNumericColumns<'x' | 'tx' | 'T'>(conn, 'select cast(frequency as double) as x, recency as tx, tenure as "T" from clv_summary order by all'),
  );
  const data: Triples = triples;
  const problem = bgnbdDataProblem(data);
  if (problem) throw new AppError('MODEL', `BG/NBD cannot be fitted: ${problem}`);
  lap('checks_and_read_ms');
  // Gamma-Gamma input: the query runs in DuckDB's threads while the BG/NBD fit keeps JS busy.
  const spendPromise = readNumericColumns<'x' | 'zbar'>(
    conn,
    'select cast(frequency as double) as x, monetary_value as zbar from clv_summary where frequency > 0 and monetary_value > 0 order by all',
  );
  spendPromise.catch(() => undefined);
  // The order counts of the data checks scan `orders` on another connection meanwhile (a few groups,
  // ~0.3 CPU-s). Started only now: during the triples' read they would compete with it for the two cores.
  const orderCountsPromise = wh.all<Omit<DataChecks, keyof typeof late>>(sqlFile('models/clv/data_checks'), { calibration_end: calibrationEnd });
  orderCountsPromise.catch(() => undefined);
  await queriesSubmitted();
  const bgnbd = fitBgNbd(data);
  lap('bgnbd_fit_ms');
  const spend = countSortedRows(await spendPromise);
  // While JS fits Gamma-Gamma, DuckDB's threads read the distinct (x, T) pairs of the ₂F₁ terms.
  const pairsPromise = readNumericColumns<'frequency' | 'tenure'>(conn, 'select distinct cast(frequency as double) as frequency, tenure from clv_summary');
  pairsPromise.catch(() => undefined);
  await queriesSubmitted();
  const spendProblem = gammaGammaDataProblem(spend);
  const gammaGammaFit = spendProblem ? null : fitGammaGamma(spend);
  lap('gamma_gamma_fit_ms');
  // ₂F₁ terms per distinct (x, T), then set-based scores.
  const holdoutLength = holdoutEnd ? daysBetween(calibrationEnd, holdoutEnd) / days : undefined;
  if (bgnbd.converged) {
    const pairs = await pairsPromise;
    const terms = predictionTerms(
      bgnbd.params,
      pairs,
      { monthLength: (MONTH_WEEKS * 7) / days, horizonMonths: params.horizonMonths, discountRate: params.discountRate, holdoutLength },
    );
    await q.run(
      `create or replace temp table clv_terms (frequency integer, tenure double, coef double, horizon_factor double,
         clv_factor double, holdout_factor double, expected_in_tenure double, expected_in_holdout_unconditional double)`,
    );
    await appendTerms(conn, terms);
  }
  lap('terms_ms');
  const [orderCounts] = await orderCountsPromise;
  const checks: DataChecks = { ...orderCounts, ...late };
  if (checks.customers_after_window > 0 && holdoutEnd === null) {
    warnings.push(`${checks.customers_after_window} customers made their first purchase after ${calibrationEnd} and are not scored`);
  }
  if (checks.returned_orders > 0) {
    warnings.push(`${checks.returned_orders} returned orders count as purchases, valued ${params.spendValue === 'net' ? 'net of their refunds' : 'at their order total (--value gross)'}`);
  }
  if (checks.negative_total_orders > 0) warnings.push(`${checks.negative_total_orders} orders with a negative total (refund records) are not counted as purchases`);

  warnings.push(...bgnbd.warnings.map((w) => `BG/NBD: ${w}`));

  let gammaGamma: FitResult<keyof GammaGammaParams> | null = null;
  let spendModel: ClvRunResult['spendModel'] = 'gamma_gamma';
  if (spendProblem || !gammaGammaFit) {
    spendModel = 'observed_mean';
    warnings.push(`Gamma-Gamma not fitted: ${spendProblem}; expected spend is each customer's observed mean per purchase day`);
  } else {
    gammaGamma = gammaGammaFit;
    warnings.push(...gammaGamma.warnings.map((w) => `Gamma-Gamma: ${w}`));
    if (!gammaGamma.converged || !(gammaGamma.params.q > 1)) {
      spendModel = 'observed_mean';
      warnings.push(
        `Gamma-Gamma ${!gammaGamma.converged ? `did not converge (${gammaGamma.message})` : `has q = ${gammaGamma.params.q.toFixed(3)} ≤ 1 (infinite mean spend)`}; expected spend is each customer's observed mean per purchase day`,
      );
    }
    if (counts.zero_spend > 0) warnings.push(`${counts.zero_spend} repeat customers whose repeat purchases were all worth 0 are left out of the spend fit`);
  }
  const gg = spendModel === 'gamma_gamma' && gammaGamma ? gammaGamma.params : null;
  const popMean = gg ? populationMeanSpend(gg) : null;

  await recordFit(q, runId, 'bgnbd', '(all)', bgnbd);
  if (gammaGamma) await recordFit(q, runId, 'gamma_gamma', '(all)', gammaGamma, { population_mean_spend: popMean, used: spendModel === 'gamma_gamma' });

  const base = {
    runId,
    asOfDate: calibrationEnd,
    holdoutEnd,
    unit: params.unit,
    dataStart: counts.data_start!,
    nCustomers: counts.customers,
    nRepeatCustomers: counts.repeaters,
    bgnbd,
    gammaGamma,
    spendModel,
    populationMeanSpend: popMean,
    checks,
    warnings,
    params,
  };
  const runRecord = {
    asOfDate: calibrationEnd,
    dataStart: counts.data_start,
    dataEnd: calibrationEnd,
    holdoutEnd,
    timeUnit: params.unit,
    nCustomers: counts.customers,
    logLikelihood: bgnbd.logLikelihood,
    parameters: { bgnbd: bgnbd.params, gamma_gamma: gammaGamma?.params ?? null },
    stdErrors: { bgnbd: bgnbd.stdErrors, gamma_gamma: gammaGamma?.stdErrors ?? null },
  };

  if (!bgnbd.converged) {
    const error = `BG/NBD did not converge: ${bgnbd.message}; ${NOT_CONVERGED_HINT}. Current scores were left unchanged.`;
    const summary = `clv run ${runId}: BG/NBD did not converge (${bgnbd.message})`;
    await finishModelRun(q, runId, {
      ...runRecord,
      status: 'not_converged',
      converged: false,
      diagnostics: diagnostics(bgnbd, gammaGamma, checks, spendModel, null),
      warnings,
      summary,
      error,
    });
    return { ...base, status: 'not_converged', validation: null, error, saved: false, summary, timings };
  }

  const scoreSql = sqlFile('models/clv/score_customers');
  const scoreParams = {
    ...bgnbd.params,
    p: gg?.p ?? null,
    q: gg?.q ?? null,
    gamma: gg?.gamma ?? null,
    as_of: calibrationEnd,
    run_id: runId,
    high_value_percentile: params.highValuePercentile,
    p_alive_lost: params.pAliveLost,
    p_alive_alive: params.pAliveAlive,
    falling_drop: params.fallingDrop,
    new_customer_days: params.newCustomerDays,
  };
  const saved = params.save ?? holdoutEnd === null;
  // Without a validation the scores go straight into customer_value (one statement, no million-row temp
  // table) and are checked there before the commit; the validation reads them, so it materialises them.
  const direct = saved && holdoutEnd === null;
  if (!direct) {
    await q.run(`create or replace temp table clv_scores as ${scoreSql}`, scoreParams);
    const bad = await nonFiniteScores(q, 'clv_scores');
    if (bad) throw bad;
  }
  lap('scores_ms');
  const validation = holdoutEnd ? await validate(q, params, bgnbd.params, counts.data_start!, calibrationEnd, holdoutEnd, holdoutLength!) : null;
  const fitSummary = `r=${fmt(bgnbd.params.r)} α=${fmt(bgnbd.params.alpha)} a=${fmt(bgnbd.params.a)} b=${fmt(bgnbd.params.b)} LL=${bgnbd.logLikelihood.toFixed(3)}`;
  const summary = `clv run ${runId} as of ${calibrationEnd}: ${counts.customers} customers, BG/NBD ${fitSummary}${
    gg ? `, Gamma-Gamma p=${fmt(gg.p)} q=${fmt(gg.q)} γ=${fmt(gg.gamma)}` : ', spend = observed mean'
  }${saved ? '' : ' (scores not saved)'}`;

  lap('validation_ms');
  await q.run('begin transaction');
  try {
    if (saved) {
      // churn_risk is a view over customer_value (migration 103). The new rows go in first: scored
      // directly, they read the previous run's P(alive) from the rows they replace, which are deleted after.
      const insert = `insert into customer_value
         select $run_id, cast($as_of as date), customer_id, $unit, first_purchase_date, last_purchase_date, frequency, recency, tenure,
                monetary_value, total_revenue, p_alive, expected_purchases, $horizon, expected_mean_spend, clv, churn_tier, value_percentile,
                is_high_value, p_alive_previous, p_alive_change, is_falling
         from ${direct ? `(${scoreSql}) as scores` : 'clv_scores'}`;
      const written = { ...(direct ? scoreParams : {}), run_id: runId, as_of: calibrationEnd, unit: params.unit, horizon: params.horizonMonths };
      try {
        await q.run(insert, written);
      } catch (e) {
        // A NULL score breaks customer_value's NOT NULL constraints: name the customers, as below.
        if (!direct) throw e;
        await q.run('rollback');
        throw (await nonFiniteScores(q, `(${scoreSql}) as scores`, scoreParams)) ?? e;
      }
      await q.run('delete from customer_value where run_id <> $run_id', { run_id: runId });
      if (direct) {
        const bad = await nonFiniteScores(q, 'customer_value');
        if (bad) throw bad;
      }
    }
    if (validation) await writeValidation(q, runId, validation);
    await finishModelRun(q, runId, {
      ...runRecord,
      status: 'succeeded',
      converged: true,
      diagnostics: diagnostics(bgnbd, gammaGamma, checks, spendModel, validation),
      warnings,
      summary,
    });
    await q.run('commit');
  } catch (e) {
    await q.run('rollback').catch(() => undefined);
    throw e;
  }
  lap('write_ms');
  return { ...base, status: 'succeeded', validation, error: null, saved, summary, timings };
}

/**
 * The run fails rather than write a NULL or non-finite score: counts them in `from` (a table or a
 * subquery over the scores) and returns the error to throw, naming the first three customers; null when all are finite.
 */
async function nonFiniteScores(q: ConnectionQueries, from: string, params?: Record<string, unknown>): Promise<AppError | null> {
  const where = `p_alive is null or expected_purchases is null or expected_mean_spend is null or clv is null
     or not isfinite(p_alive) or not isfinite(expected_purchases) or not isfinite(expected_mean_spend) or not isfinite(clv)`;
  const [{ bad }] = await q.all<{ bad: number }>(`select count(*) as bad from ${from} where ${where}`, params);
  if (bad === 0) return null;
  const sample = await q.all(
    `select customer_id, frequency, recency, tenure, monetary_value, p_alive, expected_purchases, expected_mean_spend, clv from ${from} where ${where} limit 3`,
    params,
  );
  return new AppError('MODEL', `${bad} customers got a non-finite score (nothing was written); first: ${JSON.stringify(sample)}`);
}

/**
 * Resolves once the queries just started have reached DuckDB. A query started by an async function
 * (`wh.all` takes a pooled connection first) is only handed to DuckDB by a later microtask; a fit that
 * keeps JS busy would hold it back until the fit ends. setImmediate runs after the microtasks.
 */
const queriesSubmitted = () => new Promise<void>((resolve) => setImmediate(resolve));

async function lastPurchaseDay(q: ConnectionQueries): Promise<string> {
  const [row] = await q.all<{ day: string | null; orders: number; returns: number; other: number }>(
    `select (select max(purchase_day) from model_purchases) as day,
            count(*) as orders,
            count(*) filter (where total_amount < 0) as returns,
            count(*) filter (where status in ('cancelled', 'pending')) as other
     from orders`,
  );
  if (!row.day) {
    throw new AppError(
      'MODEL',
      row.orders === 0
        ? 'there are no orders in the warehouse: load orders first (crm ingest …)'
        : `none of the ${row.orders} orders is a purchase (status "completed" or "returned" with a total ≥ 0): ${row.returns} have a negative total, ${row.other} are cancelled or pending; check the status mapping of the orders pipeline`,
    );
  }
  return row.day;
}

async function appendTerms(conn: DuckDBConnection, t: ReturnType<typeof predictionTerms>): Promise<void> {
  const double = (values: Float64Array) => ({ type: 'double' as const, values });
  await appendRows(
    conn,
    'clv_terms',
    [
      { type: 'integer', values: t.frequency },
      { type: 'double', values: t.tenure },
      double(t.coef),
      double(t.horizonFactor),
      double(t.clvFactor),
      double(t.holdoutFactor),
      double(t.expectedInTenure),
      double(t.expectedInHoldoutUnconditional),
    ],
    null,
    'temp',
  );
}

async function validate(
  q: ConnectionQueries,
  params: ClvParams,
  bg: BgNbdParams,
  dataStart: string,
  calibrationEnd: string,
  holdoutEnd: string,
  holdoutLength: number,
): Promise<ClvValidation> {
  const byFrequency = await q.all<FrequencyBucket>(sqlFile('models/clv/holdout_by_frequency'));
  const [t] = await q.all<Omit<ValidationTotals, 'holdout_error_pct' | 'tracking_end_actual' | 'tracking_end_expected'>>(sqlFile('models/clv/validation_totals'));
  const weeks = Math.floor((daysBetween(dataStart, holdoutEnd) + 1) / 7);
  const firstDays = await readNumericColumns<'day' | 'customers'>(
    q.conn,
    `select cast(date_diff('day', cast($start as date), first_purchase_date) as double) as day, cast(count(*) as double) as customers
     from clv_summary group by all`,
    { start: dataStart },
  );
  const expected = expectedCumulativeByWeek(bg, firstDays, weeks, unitDays[params.unit]);
  const actualRows = await q.all<{ week: number; purchases: number }>(sqlFile('models/clv/tracking_actual'), {
    start: dataStart,
    end: holdoutEnd,
    by_order: params.granularity === 'order',
  });
  const actualByWeek = new Map(actualRows.map((r) => [r.week, r.purchases]));
  const tracking: TrackingWeek[] = [];
  let cumulative = 0;
  const calibrationDays = daysBetween(dataStart, calibrationEnd);
  for (let k = 1; k <= weeks; k++) {
    const actual = actualByWeek.get(k) ?? 0;
    cumulative += actual;
    tracking.push({
      week: k,
      week_end: addDays(dataStart, 7 * k - 1),
      period: 7 * k - 1 <= calibrationDays ? 'calibration' : 'holdout',
      actual,
      expected: expected[k - 1] - (k > 1 ? expected[k - 2] : 0),
      actual_cumulative: cumulative,
      expected_cumulative: expected[k - 1],
    });
  }
  const last = tracking.at(-1);
  return {
    holdoutLength,
    byFrequency,
    tracking,
    totals: {
      ...t,
      holdout_error_pct: t.holdout_actual > 0 ? (100 * (t.holdout_expected_conditional - t.holdout_actual)) / t.holdout_actual : null,
      tracking_end_actual: last?.actual_cumulative ?? null,
      tracking_end_expected: last?.expected_cumulative ?? null,
    },
  };
}

async function writeValidation(q: ConnectionQueries, runId: number, v: ClvValidation): Promise<void> {
  await q.run(
    `insert into clv_validation_frequency
     select $run_id, frequency_bucket, bucket_order, customers, actual_mean, expected_mean, actual_total, expected_total
     from (${sqlFile('models/clv/holdout_by_frequency')})`,
    { run_id: runId },
  );
  const rows = v.tracking;
  await appendRows(q.conn, 'clv_tracking', [
    { type: 'bigint', values: rows.map(() => runId) },
    { type: 'integer', values: rows.map((r) => r.week) },
    { type: 'varchar', values: rows.map((r) => r.week_end) },
    { type: 'varchar', values: rows.map((r) => r.period) },
    { type: 'double', values: rows.map((r) => r.actual) },
    { type: 'double', values: rows.map((r) => r.expected) },
    { type: 'double', values: rows.map((r) => r.actual_cumulative) },
    { type: 'double', values: rows.map((r) => r.expected_cumulative) },
  ]);
}


function diagnostics(
  bgnbd: FitResult,
  gammaGamma: FitResult | null,
  checks: DataChecks,
  spendModel: string,
  validation: ClvValidation | null,
): Record<string, unknown> {
  const fitInfo = (f: FitResult) => ({
    converged: f.converged,
    iterations: f.iterations,
    evaluations: f.evaluations,
    gradient_norm: f.gradientNorm,
    message: f.message,
    n_observations: f.nObservations,
    n_distinct: f.nDistinct,
  });
  return {
    bgnbd: fitInfo(bgnbd),
    gamma_gamma: gammaGamma ? fitInfo(gammaGamma) : null,
    spend_model: spendModel,
    data: checks,
    validation: validation ? { holdout_length: validation.holdoutLength, totals: validation.totals, by_frequency: validation.byFrequency } : null,
  };
}

const fmt = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(1) : v.toPrecision(4));

function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

function addDays(day: string, n: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
}
