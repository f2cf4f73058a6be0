import { sql, type Kysely } from 'kysely';
import { AppError } from '../../errors.ts';
import type { Database, Warehouse } from '../../warehouse/index.ts';
import { preparePipelineForecast, type PreparedPipeline } from './pipeline.ts';
import { forecastRevenue, revenueForecastParamsSchema, type RevenueForecast } from './revenue.ts';

/** The forecast model's own tables (migration 200), for typed Kysely access with `withTables`. */
export type ForecastTables = {
  forecast_runs: {
    run_id: number;
    as_of: string;
    created_at: string;
    series: string;
    method: string;
    selection: string;
    horizon: number;
    history_start: string | null;
    history_end: string | null;
    params: string;
    summary: string | null;
  };
  forecast_backtest: {
    run_id: number;
    method: string;
    origins: number;
    forecasts: number;
    mape: number | null;
    mae: number | null;
    rmse: number | null;
    accuracy: number | null;
    chosen: boolean;
    error: string | null;
  };
  forecast_snapshots: {
    run_id: number;
    as_of: string;
    method: string;
    period: string;
    horizon: number;
    forecast: number;
    lower_80: number | null;
    upper_80: number | null;
    lower_95: number | null;
    upper_95: number | null;
  };
  forecast_win_rates: {
    run_id: number;
    pipeline: string;
    team: string | null;
    stage: string;
    stage_index: number;
    closed_deals: number;
    won_deals: number;
    raw_rate: number | null;
    probability: number;
  };
  forecast_deals: {
    run_id: number;
    deal_id: string;
    pipeline: string;
    stage: string;
    owner_id: string | null;
    team: string | null;
    close_month: string | null;
    amount: number | null;
    probability: number;
    category: string;
    category_source: string;
    weighted_amount: number | null;
  };
  forecast_pipeline_snapshots: {
    run_id: number;
    as_of: string;
    pipeline: string;
    close_month: string | null;
    category: string;
    deals: number;
    amount: number;
    weighted_amount: number;
  };
};

export function forecastDb(wh: Warehouse): Kysely<Database & ForecastTables> {
  return wh.db.withTables<ForecastTables>();
}

export interface SavedForecastRun {
  runId: number;
  asOf: string;
  method: string;
  summary: string;
  revenue: RevenueForecast | null;
  revenueError?: string;
}

/**
 * Makes and stores a forecast run: the revenue forecast (method, backtest scores, one snapshot row per
 * forecast month), the learned stage win rates, every weighted deal and the pipeline by close month and
 * category — all under one run id, in one transaction, so "forecast made on D for month M" can be
 * compared with the actual later (report forecast-accuracy).
 *
 * @example
 * const run = await saveForecastRun(wh, { horizon: 12 }, { perTeam: true });
 * run.runId; run.method; run.summary
 */
export async function saveForecastRun(wh: Warehouse, revenueInput: unknown = {}, pipelineInput: unknown = {}): Promise<SavedForecastRun> {
  const revenueParams = revenueForecastParamsSchema.parse(revenueInput ?? {});
  const asOf = revenueParams.asOf ?? (pipelineInput as { asOf?: string } | undefined)?.asOf ?? new Date().toISOString().slice(0, 10);
  let revenue: RevenueForecast | null = null;
  let revenueError: string | undefined;
  try {
    revenue = await forecastRevenue(wh, { ...revenueParams, asOf });
  } catch (e) {
    if (!(e instanceof AppError)) throw e;
    revenueError = e.message;
  }
  const pipeline = await preparePipelineForecast(wh, { ...((pipelineInput as object) ?? {}), asOf });
  const dealsQuery = wh.db.selectFrom(pipeline.deals().as('d')).select([
    sql`d.deal_id`.as('deal_id'),
    sql`d.pipeline`.as('pipeline'),
    sql`d.stage`.as('stage'),
    sql`d.employee_id`.as('owner_id'),
    sql`d.team`.as('team'),
    sql`d.close_month`.as('close_month'),
    sql`d.amount`.as('amount'),
    sql`d.probability`.as('probability'),
    sql`d.category`.as('category'),
    sql`d.category_source`.as('category_source'),
    sql`d.weighted_amount`.as('weighted_amount'),
  ]);
  const compiled = dealsQuery.compile();

  return wh.transaction(async (tx) => {
    const [{ run_id: runId }] = await tx.all<{ run_id: number }>("select nextval('forecast_run_id_seq') as run_id");
    const id = Number(runId);
    if (revenue) {
      const chosen = revenue.chosen?.method;
      await tx.run(
        `insert into forecast_backtest
         select $run_id, method, origins, forecasts, mape, mae, rmse, accuracy, method = $chosen, error
         from (select unnest(from_json(cast($rows as json), '[{"method":"VARCHAR","origins":"INTEGER","forecasts":"INTEGER","mape":"DOUBLE","mae":"DOUBLE","rmse":"DOUBLE","accuracy":"DOUBLE","error":"VARCHAR"}]'), recursive := true))`,
        { run_id: id, chosen: chosen ?? revenue.method, rows: JSON.stringify(revenue.backtest.map(({ points: _p, ...s }) => ({ ...s, error: s.error ?? null }))) },
      );
      await tx.run(
        `insert into forecast_snapshots
         select $run_id, cast($as_of as date), $method, period, h, mean, lower80, upper80, lower95, upper95
         from (select unnest(from_json(cast($rows as json), '[{"period":"DATE","h":"INTEGER","mean":"DOUBLE","lower80":"DOUBLE","upper80":"DOUBLE","lower95":"DOUBLE","upper95":"DOUBLE"}]'), recursive := true))`,
        { run_id: id, as_of: asOf, method: revenue.method, rows: JSON.stringify(revenue.forecast) },
      );
    }
    await insertPipeline(tx, id, asOf, pipeline, compiled.sql, [...compiled.parameters]);
    const method = revenue?.method ?? 'none';
    const summary = revenue
      ? `forecast run ${id} as of ${asOf}: ${method} (${revenue.selection}${revenue.chosen?.mape != null ? `, backtest MAPE ${(revenue.chosen.mape * 100).toFixed(1)} %` : ''}), ${revenue.forecast.length} months from ${revenue.firstForecastMonth}`
      : `forecast run ${id} as of ${asOf}: no revenue forecast (${revenueError}); pipeline weighted`;
    await tx.run(
      `insert into forecast_runs values ($run_id, cast($as_of as date), now(), 'revenue', $method, $selection, $horizon,
         cast($history_start as date), cast($history_end as date), cast($params as json), $summary)`,
      {
        run_id: id,
        as_of: asOf,
        method,
        selection: revenue?.selection ?? 'none',
        horizon: revenueParams.horizon,
        history_start: revenue?.history[0]?.month ?? null,
        history_end: revenue?.history[revenue.history.length - 1]?.month ?? null,
        params: JSON.stringify({ revenue: { ...revenueParams, asOf }, pipeline: { ...pipeline.p, asOf, stages: undefined } }),
        summary,
      },
    );
    return { runId: id, asOf, method, summary, revenue, revenueError };
  });
}

async function insertPipeline(
  tx: { run(sql: string, params?: Record<string, unknown> | unknown[]): Promise<number> },
  runId: number,
  asOf: string,
  pipeline: PreparedPipeline,
  dealsSql: string,
  dealsParams: unknown[],
): Promise<void> {
  await tx.run(
    `insert into forecast_win_rates
     select $run_id, pipeline, team, stage, stage_idx, closed, won, raw_rate, probability
     from (select unnest(from_json(cast($rows as json), '[{"pipeline":"VARCHAR","team":"VARCHAR","stage":"VARCHAR","stage_idx":"INTEGER","closed":"BIGINT","won":"BIGINT","raw_rate":"DOUBLE","probability":"DOUBLE"}]'), recursive := true))`,
    { run_id: runId, rows: JSON.stringify(pipeline.rates) },
  );
  // The run id is a literal here (a sequence value) because the compiled deal query's parameters are positional.
  await tx.run(
    `insert into forecast_deals
     select ${runId}, deal_id, pipeline, stage, owner_id, team, close_month, amount, probability, category, category_source, weighted_amount
     from (${dealsSql}) as d`,
    dealsParams,
  );
  await tx.run(
    `insert into forecast_pipeline_snapshots
     select run_id, cast($as_of as date), pipeline, close_month, category, count(*), coalesce(sum(amount), 0), coalesce(sum(weighted_amount), 0)
     from forecast_deals where run_id = $run_id
     group by run_id, pipeline, close_month, category`,
    { run_id: runId, as_of: asOf },
  );
}
