import { sql } from 'kysely';
import { z } from 'zod';
import { pipelineForecastParamsSchema, preparePipelineForecast, type PreparedPipeline } from '../../forecast/pipeline.ts';
import { forecastRevenue, revenueForecastParamsSchema } from '../../forecast/revenue.ts';
import { customerDimensions, repDimensions } from '../dimensions.ts';
import { gridReport } from '../grid.ts';
import { addDays, addMonths, boolParam, intParam, isoDate, monthStart, numberParam } from '../params.ts';
import { sqlFragment } from '../sql-fragment.ts';
import type { ReportColumn, ReportDefinition, ReportRow } from '../types.ts';

const amountIn = (category: string) => sql`coalesce(sum(f.amount) filter (where f.category = ${category}), 0)`;

/** The weighted pipeline by expected close month and forecast category. */
export const pipelineForecastReport = gridReport({
  name: 'pipeline-forecast',
  title: 'Pipeline forecast',
  description: 'Open deals by expected close month: amount per forecast category (closed, commit, best case, pipeline), weighted by learned stage win probabilities',
  defaultBy: 'month',
  defaultGroupBy: [],
  defaultRange: (today) => ({ from: monthStart(today), to: addDays(addMonths(monthStart(today), 12), -1) }),
  dimensions: {
    pipeline: { label: 'Pipeline', expr: sql`f.pipeline` },
    stage: { label: 'Stage', expr: sql`f.stage` },
    category: {
      label: 'Forecast category',
      expr: sql`f.category`,
      orderBy: sql`case f.category when 'closed' then 1 when 'commit' then 2 when 'best_case' then 3 when 'pipeline' then 4 else 5 end`,
    },
    ...repDimensions,
    region: customerDimensions.region,
    segment: customerDimensions.segment,
  },
  extraParams: {
    /** The day the pipeline is weighed: win rates learn from deals closed before it; the as-of month gets the overdue deals. */
    asOf: isoDate.optional(),
    perTeam: boolParam.default(false),
    priorStrength: numberParam.pipe(z.number().min(0)).default(10),
    lookbackMonths: intParam(1, 240).default(24),
    commitThreshold: numberParam.pipe(z.number().min(0).max(1)).default(0.7),
    bestCaseThreshold: numberParam.pipe(z.number().min(0).max(1)).default(0.4),
  },
  prepare: (wh, p) =>
    preparePipelineForecast(wh, {
      asOf: p.asOf,
      perTeam: p.perTeam,
      priorStrength: p.priorStrength,
      lookbackMonths: p.lookbackMonths,
      commitThreshold: p.commitThreshold,
      bestCaseThreshold: p.bestCaseThreshold,
    }),
  measures: [
    { name: 'deals', label: 'Deals', format: 'count', expr: sql`count(*)` },
    { name: 'amount', label: 'Amount', format: 'currency', expr: sql`coalesce(sum(f.amount), 0)` },
    { name: 'closed', label: 'Closed (won)', format: 'currency', expr: amountIn('closed') },
    { name: 'commit', label: 'Commit', format: 'currency', expr: amountIn('commit') },
    { name: 'best_case', label: 'Best case', format: 'currency', expr: amountIn('best_case') },
    { name: 'pipeline', label: 'Pipeline', format: 'currency', expr: amountIn('pipeline') },
    { name: 'omitted', label: 'Omitted', format: 'currency', expr: amountIn('omitted') },
    { name: 'commit_forecast', label: 'Commit forecast (closed + commit)', format: 'currency', expr: sql`${amountIn('closed')} + ${amountIn('commit')}` },
    {
      name: 'best_case_forecast',
      label: 'Best-case forecast (closed + commit + best case)',
      format: 'currency',
      expr: sql`${amountIn('closed')} + ${amountIn('commit')} + ${amountIn('best_case')}`,
    },
    { name: 'weighted', label: 'Weighted (amount × probability)', format: 'currency', expr: sql`coalesce(sum(f.weighted_amount), 0)` },
    { name: 'avg_probability', label: 'Mean win probability (open)', format: 'percent', expr: sql`avg(f.probability) filter (where f.status = 'open')` },
    { name: 'overdue_deals', label: 'Overdue deals', format: 'count', expr: sql`count(*) filter (where f.is_overdue)` },
  ],
  facts: (p, _needs, prepared) => {
    const prep = prepared as PreparedPipeline;
    return sql`(
      select d.*, cast(d.close_month as timestamptz) as at
      from ${prep.deals()} as d
      where d.close_month is null or (d.close_month >= cast(${p.from} as date) and d.close_month < cast(${p.toExclusive} as date))
    )`;
  },
  notes: (p, _needs, prepared) => [
    `Expected close months ${monthStart(p.from)} … ${p.to}; deals without an expected close date are included with an empty period.`,
    ...(prepared as PreparedPipeline).notes,
  ],
});

const winRateParams = pipelineForecastParamsSchema;

/** Learned stage win probabilities. */
export const winRatesReport: ReportDefinition<z.output<typeof winRateParams>> = {
  info: {
    name: 'win-rates',
    title: 'Stage win rates',
    description: 'P(won | reached the stage) per pipeline (and team) from closed deals, raw and smoothed',
    groupBys: [],
    defaultGroupBy: [],
    filters: [],
    measures: ['closed_deals', 'won_deals', 'raw_rate', 'probability'],
    extraParams: ['asOf', 'perTeam', 'priorStrength', 'lookbackMonths', 'stages'],
    timeBuckets: false,
  },
  params: winRateParams,
  async run(wh, p) {
    const prep = await preparePipelineForecast(wh, p);
    const rows: ReportRow[] = [];
    for (const b of prep.base) {
      rows.push({ pipeline: b.pipeline, team: null, stage_index: 0, stage: '(all closed deals)', closed_deals: b.closed, won_deals: b.won, raw_rate: b.closed ? round(b.won / b.closed) : null, probability: round(b.probability) });
      for (const r of prep.rates.filter((x) => x.pipeline === b.pipeline))
        rows.push({ pipeline: r.pipeline, team: r.team, stage_index: r.stage_idx, stage: r.stage, closed_deals: r.closed, won_deals: r.won, raw_rate: r.raw_rate === null ? null : round(r.raw_rate), probability: round(r.probability) });
    }
    const columns: ReportColumn[] = [
      { name: 'pipeline', label: 'Pipeline', type: 'string', role: 'dimension' },
      { name: 'team', label: 'Team (empty: pipeline level)', type: 'string', role: 'dimension' },
      { name: 'stage_index', label: 'Step', type: 'number', role: 'dimension' },
      { name: 'stage', label: 'Stage', type: 'string', role: 'dimension' },
      { name: 'closed_deals', label: 'Closed deals that reached it', type: 'number', role: 'measure', format: 'count' },
      { name: 'won_deals', label: 'Of which won', type: 'number', role: 'measure', format: 'count' },
      { name: 'raw_rate', label: 'Raw win rate', type: 'number', role: 'measure', format: 'percent' },
      { name: 'probability', label: 'Smoothed probability', type: 'number', role: 'measure', format: 'percent' },
    ];
    return { columns, rows, notes: prep.notes.slice(0, 1), assumptions: [], params: { asOf: prep.asOf } };
  },
};

const revenueForecastReportParams = revenueForecastParamsSchema.extend({ showHistory: intParam(0, 600).default(24) });

/** Monthly revenue history and forecast with intervals, and the backtest behind the method. */
export const revenueForecastReport: ReportDefinition<z.output<typeof revenueForecastReportParams>> = {
  info: {
    name: 'revenue-forecast',
    title: 'Revenue forecast',
    description: 'Monthly revenue (completed orders + closed-won deals): history and forecast with 80 %/95 % intervals; the method is chosen by a rolling-origin backtest',
    groupBys: [],
    defaultGroupBy: [],
    filters: [],
    measures: ['actual', 'forecast', 'lower_80', 'upper_80', 'lower_95', 'upper_95'],
    extraParams: ['asOf', 'horizon', 'method', 'sources', 'backtestHorizon', 'backtestOrigins', 'historyMonths', 'showHistory'],
    timeBuckets: false,
  },
  params: revenueForecastReportParams,
  async run(wh, p) {
    const { showHistory, ...input } = p;
    const f = await forecastRevenue(wh, input);
    const hist = showHistory === 0 ? [] : f.history.slice(-showHistory);
    const rows: ReportRow[] = [
      ...hist.map((h) => ({ period: h.month, kind: 'actual', actual: h.revenue, forecast: null, lower_80: null, upper_80: null, lower_95: null, upper_95: null })),
      ...f.forecast.map((pt) => ({
        period: pt.period,
        kind: 'forecast',
        actual: null,
        forecast: round2(pt.mean),
        lower_80: round2(pt.lower80),
        upper_80: round2(pt.upper80),
        lower_95: round2(pt.lower95),
        upper_95: round2(pt.upper95),
      })),
    ];
    const columns: ReportColumn[] = [
      { name: 'period', label: 'Month', type: 'date', role: 'time' },
      { name: 'kind', label: 'Actual or forecast', type: 'string', role: 'info' },
      { name: 'actual', label: 'Actual revenue', type: 'number', role: 'measure', format: 'currency' },
      { name: 'forecast', label: `Forecast (${f.method})`, type: 'number', role: 'measure', format: 'currency' },
      { name: 'lower_80', label: '80 % low', type: 'number', role: 'measure', format: 'currency' },
      { name: 'upper_80', label: '80 % high', type: 'number', role: 'measure', format: 'currency' },
      { name: 'lower_95', label: '95 % low', type: 'number', role: 'measure', format: 'currency' },
      { name: 'upper_95', label: '95 % high', type: 'number', role: 'measure', format: 'currency' },
    ];
    return { columns, rows, notes: f.notes, params: { asOf: f.asOf } };
  },
};

/** The rolling-origin backtest of every method. */
export const forecastBacktestReport: ReportDefinition<z.output<typeof revenueForecastParamsSchema>> = {
  info: {
    name: 'forecast-backtest',
    title: 'Forecast backtest',
    description: 'Rolling-origin backtest of each revenue forecasting method: MAPE, MAE, RMSE and HubSpot accuracy; the chosen method is marked',
    groupBys: [],
    defaultGroupBy: [],
    filters: [],
    measures: ['mape', 'mae', 'rmse', 'accuracy'],
    extraParams: ['asOf', 'sources', 'backtestHorizon', 'backtestOrigins', 'historyMonths'],
    timeBuckets: false,
  },
  params: revenueForecastParamsSchema,
  async run(wh, p) {
    const f = await forecastRevenue(wh, { ...p, method: 'auto' });
    const rows: ReportRow[] = f.backtest.map((s) => ({
      method: s.method,
      chosen: s.method === f.method,
      origins: s.origins,
      forecasts: s.forecasts,
      mape: s.mape === null ? null : round(s.mape),
      mae: s.mae === null ? null : round2(s.mae),
      rmse: s.rmse === null ? null : round2(s.rmse),
      accuracy: s.accuracy === null ? null : round(s.accuracy),
      error: s.error ?? null,
    }));
    const columns: ReportColumn[] = [
      { name: 'method', label: 'Method', type: 'string', role: 'dimension' },
      { name: 'chosen', label: 'Chosen', type: 'boolean', role: 'info' },
      { name: 'origins', label: 'Origins', type: 'number', role: 'measure', format: 'count' },
      { name: 'forecasts', label: 'Forecasts scored', type: 'number', role: 'measure', format: 'count' },
      { name: 'mape', label: 'MAPE', type: 'number', role: 'measure', format: 'percent' },
      { name: 'mae', label: 'MAE', type: 'number', role: 'measure', format: 'currency' },
      { name: 'rmse', label: 'RMSE', type: 'number', role: 'measure', format: 'currency' },
      { name: 'accuracy', label: 'Accuracy (HubSpot)', type: 'number', role: 'measure', format: 'percent' },
      { name: 'error', label: 'Not backtested because', type: 'string', role: 'info' },
    ];
    return { columns, rows, notes: f.notes, params: { asOf: f.asOf } };
  },
};

const accuracyParams = z
  .object({
    /** Forecast periods (months) from … */
    from: isoDate.optional(),
    /** … to (inclusive). Only completed months are compared. */
    to: isoDate.optional(),
    series: z.enum(['revenue', 'pipeline']).default('revenue'),
    /** Only forecasts made this many months ahead (revenue series). */
    horizon: intParam(1, 36).optional(),
    runId: intParam(1, Number.MAX_SAFE_INTEGER).optional(),
    limit: intParam(1, 100_000).default(10_000),
  })
  .strict();

/** Forecast made on D for month M vs the actual, from the stored snapshots. */
export const forecastAccuracyReport: ReportDefinition<z.output<typeof accuracyParams>> = {
  info: {
    name: 'forecast-accuracy',
    title: 'Forecast accuracy',
    description: 'What each stored forecast run said for a month vs the actual: error, APE and HubSpot accuracy (revenue forecasts), or commit/best-case/weighted vs won (pipeline snapshots)',
    groupBys: [],
    defaultGroupBy: [],
    filters: [],
    measures: ['forecast', 'actual', 'error', 'ape', 'accuracy'],
    extraParams: ['from', 'to', 'series', 'horizon', 'runId', 'limit'],
    timeBuckets: false,
  },
  params: accuracyParams,
  async run(wh, p) {
    const name = p.series === 'revenue' ? 'reports/forecast-accuracy' : 'reports/pipeline-accuracy';
    const q = sqlFragment<ReportRow>(name, {
      from: p.from ? monthStart(p.from) : null,
      to: p.to ?? null,
      horizon: p.horizon ?? null,
      run_id: p.runId ?? null,
      limit: p.limit + 1,
    });
    let rows = (await wh.db.selectFrom(q.as('a')).selectAll().execute()) as ReportRow[];
    const truncated = rows.length > p.limit;
    if (truncated) rows = rows.slice(0, p.limit);
    const scored = rows.filter((r) => r.ape !== null && r.ape !== undefined);
    const mean = (k: string) => (scored.length ? scored.reduce((s, r) => s + Number(r[k]), 0) / scored.length : null);
    const mape = mean('ape');
    const acc = mean('accuracy');
    const notes =
      p.series === 'revenue'
        ? [
            'Actual = the run’s revenue definition (its sources) recomputed from today’s data for each completed month; months not yet complete are left out.',
            `Over these ${scored.length} forecasts: MAPE ${mape === null ? 'n/a' : `${(mape * 100).toFixed(1)} %`}, accuracy ${acc === null ? 'n/a' : `${(acc * 100).toFixed(1)} %`} (HubSpot: max(0, 1 − |actual − forecast| / actual)).`,
          ]
        : [
            'Actual = amount of deals won in the close month, per pipeline, from today’s data; compared with what each run’s pipeline snapshot expected for that month. Months not yet complete are left out.',
            `APE and accuracy compare the weighted forecast; over ${scored.length} snapshots: MAPE ${mape === null ? 'n/a' : `${(mape * 100).toFixed(1)} %`}, accuracy ${acc === null ? 'n/a' : `${(acc * 100).toFixed(1)} %`}.`,
          ];
    const money = (name: string, label: string): ReportColumn => ({ name, label, type: 'number', role: 'measure', format: 'currency' });
    const columns: ReportColumn[] =
      p.series === 'revenue'
        ? [
            { name: 'run_id', label: 'Run', type: 'number', role: 'info' },
            { name: 'as_of', label: 'Forecast made on', type: 'date', role: 'time' },
            { name: 'method', label: 'Method', type: 'string', role: 'dimension' },
            { name: 'period', label: 'Month', type: 'date', role: 'time' },
            { name: 'horizon', label: 'Months ahead', type: 'number', role: 'dimension' },
            money('forecast', 'Forecast'),
            money('lower_80', '80 % low'),
            money('upper_80', '80 % high'),
            money('actual', 'Actual'),
            money('error', 'Actual − forecast'),
            { name: 'ape', label: 'Absolute % error', type: 'number', role: 'measure', format: 'percent' },
            { name: 'accuracy', label: 'Accuracy (HubSpot)', type: 'number', role: 'measure', format: 'percent' },
            { name: 'in_80', label: 'Within the 80 % interval', type: 'boolean', role: 'info' },
          ]
        : [
            { name: 'run_id', label: 'Run', type: 'number', role: 'info' },
            { name: 'as_of', label: 'Snapshot on', type: 'date', role: 'time' },
            { name: 'pipeline', label: 'Pipeline', type: 'string', role: 'dimension' },
            { name: 'period', label: 'Close month', type: 'date', role: 'time' },
            money('commit_forecast', 'Commit forecast'),
            money('best_case_forecast', 'Best-case forecast'),
            money('weighted', 'Weighted forecast'),
            money('actual', 'Actual won'),
            money('error', 'Actual − weighted'),
            { name: 'ape', label: 'Absolute % error (weighted)', type: 'number', role: 'measure', format: 'percent' },
            { name: 'accuracy', label: 'Accuracy (weighted)', type: 'number', role: 'measure', format: 'percent' },
          ];
    return { columns, rows, notes, truncated };
  },
};

function round(x: number): number {
  return Math.round(x * 10000) / 10000;
}
function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
