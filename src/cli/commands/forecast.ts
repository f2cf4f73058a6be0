import { saveForecastRun } from '../../models/forecast/runs.ts';
import { loadStageConfig } from '../../models/funnel/stage-config.ts';
import { runReport } from '../../models/reports/index.ts';
import { formatOf, formatRows } from '../format.ts';
import type { RegisterCommands } from './index.ts';
import { printReport } from './report.ts';

interface ForecastFlags {
  asOf?: string;
  horizon?: string;
  method?: string;
  sources?: string;
  perTeam?: boolean;
  stages?: string;
  save: boolean;
  format: string;
}

export const register: RegisterCommands = (program, ctx) => {
  const forecast = program.command('forecast').description('revenue forecast, weighted pipeline, win rates, quota attainment and forecast accuracy');

  forecast
    .command('revenue', { isDefault: true })
    .description('forecast monthly revenue (method chosen by backtest) and store the run with a pipeline snapshot (the default)')
    .option('--as-of <date>', 'the day the forecast is made (default today, UTC)')
    .option('--horizon <months>', 'months to forecast (default 12)')
    .option('--method <method>', 'auto | seasonal_naive | drift | holt_winters_additive | holt_winters_multiplicative | regression')
    .option('--sources <list>', 'what counts as revenue: orders, deals or orders,deals (default)')
    .option('--per-team', 'learn stage win rates per team for the pipeline snapshot')
    .option('--stages <file>', 'stage order JSON for the pipeline snapshot')
    .option('--no-save', 'do not store the run (forecast_runs, forecast_snapshots, …)')
    .option('--format <format>', 'table | csv | json', 'table')
    .action(async (o: ForecastFlags) => {
      const format = formatOf(o.format);
      const wh = await ctx.warehouse();
      const revenue: Record<string, unknown> = {};
      if (o.asOf) revenue.asOf = o.asOf;
      if (o.horizon) revenue.horizon = o.horizon;
      if (o.method) revenue.method = o.method;
      if (o.sources) revenue.sources = o.sources;
      const pipeline: Record<string, unknown> = {};
      if (o.perTeam) pipeline.perTeam = true;
      if (o.stages) pipeline.stages = loadStageConfig(o.stages);
      const result = await runReport(wh, 'revenue-forecast', { ...revenue, showHistory: 12 });
      printReport(result, format, ctx.out, ctx.err);
      if (format === 'table') {
        const bt = await runReport(wh, 'forecast-backtest', Object.fromEntries(Object.entries(revenue).filter(([k]) => k !== 'horizon' && k !== 'method')));
        ctx.out(`\nBacktest (rolling origin):\n${formatRows(bt.rows, 'table', bt.columns.map((c) => c.name))}`);
      }
      if (o.save) {
        const run = await saveForecastRun(wh, revenue, pipeline);
        ctx.err(run.summary);
      }
    });

  const reportCommand = (name: string, report: string, description: string, extra: (o: Record<string, string | boolean | undefined>) => Record<string, unknown>) =>
    forecast
      .command(name)
      .description(description)
      .option('--from <date>', 'first day')
      .option('--to <date>', 'last day')
      .option('--by <bucket>', 'time bucket: month | quarter | year | none')
      .option('--group-by <dims>', 'up to two group-bys, comma-separated')
      .option('--per-team', 'learn stage win rates per team')
      .option('--format <format>', 'table | csv | json', 'table')
      .action(async (o: Record<string, string | boolean | undefined>) => {
        const format = formatOf(String(o.format));
        const params: Record<string, unknown> = extra(o);
        for (const k of ['from', 'to', 'by'] as const) if (o[k]) params[k] = o[k];
        if (o.groupBy !== undefined) params.groupBy = o.groupBy;
        printReport(await runReport(await ctx.warehouse(), report, params), format, ctx.out, ctx.err);
      });

  reportCommand('pipeline', 'pipeline-forecast', 'open deals by expected close month and forecast category, weighted by learned win rates', (o) => ({
    ...(o.perTeam ? { perTeam: true } : {}),
    ...(o.asOf ? { asOf: o.asOf } : {}),
    ...(o.commitThreshold !== undefined ? { commitThreshold: o.commitThreshold } : {}),
    ...(o.bestCaseThreshold !== undefined ? { bestCaseThreshold: o.bestCaseThreshold } : {}),
  }))
    .option('--as-of <date>', 'the day the pipeline is weighed: rates learn from deals closed before it (default today, UTC)')
    .option('--commit-threshold <p>', 'probability from which an open deal without its own category is commit (default 0.7)')
    .option('--best-case-threshold <p>', 'probability from which it is best case (default 0.4)');
  reportCommand('quota', 'quota-attainment', 'quota attainment per rep/team and period, with projected attainment', (o) => (o.perTeam ? { perTeam: true } : {}));
  forecast
    .command('win-rates')
    .description('stage win probabilities learned from closed deals')
    .option('--per-team', 'per team too')
    .option('--as-of <date>', 'learn from deals closed before this day')
    .option('--format <format>', 'table | csv | json', 'table')
    .action(async (o: { perTeam?: boolean; asOf?: string; format: string }) => {
      const params: Record<string, unknown> = {};
      if (o.perTeam) params.perTeam = true;
      if (o.asOf) params.asOf = o.asOf;
      printReport(await runReport(await ctx.warehouse(), 'win-rates', params), formatOf(o.format), ctx.out, ctx.err);
    });
  forecast
    .command('accuracy')
    .description('stored forecasts vs actuals: "forecast made on D for month M"')
    .option('--series <series>', 'revenue | pipeline', 'revenue')
    .option('--horizon <months>', 'only forecasts made this many months ahead')
    .option('--from <date>', 'first forecast month')
    .option('--to <date>', 'last forecast month')
    .option('--format <format>', 'table | csv | json', 'table')
    .action(async (o: { series: string; horizon?: string; from?: string; to?: string; format: string }) => {
      const params: Record<string, unknown> = { series: o.series };
      if (o.horizon) params.horizon = o.horizon;
      if (o.from) params.from = o.from;
      if (o.to) params.to = o.to;
      printReport(await runReport(await ctx.warehouse(), 'forecast-accuracy', params), formatOf(o.format), ctx.out, ctx.err);
    });
};
