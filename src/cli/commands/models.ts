import { AppError } from '../../errors.ts';
import { models, runModels } from '../../models/index.ts';
import { formatOf, formatRows } from '../format.ts';
import type { RegisterCommands } from './index.ts';

export const register: RegisterCommands = (program, ctx, setExit) => {
  const cmd = program.command('models').description('run the analytical models (clv, churn, retention, segments, …) and see their runs');

  cmd
    .command('run')
    .description('run models with their default parameters, in dependency order')
    .argument('[names...]', `model names or "all" (default: all); known: ${models.map((m) => m.name).join(', ')}`)
    .option('--as-of <date>', 'the last day of data the models use, YYYY-MM-DD (default: each model’s latest data)')
    .addHelpText('after', '\nExamples:\n  crm models run\n  crm models run clv\n  crm models run churn retention --as-of 2026-06-30')
    .action(async (names: string[], opts: { asOf?: string }) => {
      if (opts.asOf && !/^\d{4}-\d{2}-\d{2}$/.test(opts.asOf)) throw new AppError('VALIDATION', `--as-of expects YYYY-MM-DD (got "${opts.asOf}")`);
      const wanted = names.length === 0 || names.includes('all') ? undefined : names;
      const unknown = (wanted ?? []).filter((n) => !models.some((m) => m.name === n));
      if (unknown.length) throw new AppError('VALIDATION', `unknown model ${unknown.map((n) => `"${n}"`).join(', ')}; known: ${models.map((m) => m.name).join(', ')}, all`);
      const wh = await ctx.warehouse();
      const rows = await runModels(wh, { names: wanted, asOf: opts.asOf, onResult: (r) => ctx.err(`${r.status === 'succeeded' ? '✓' : '✗'} ${r.model}: ${r.summary}`) });
      ctx.out(formatRows(rows, 'table', ['model', 'status', 'run_id', 'seconds']));
      if (rows.some((r) => r.status !== 'succeeded')) setExit(1);
    });

  cmd
    .command('list')
    .description('the models `crm models run` knows')
    .option('--format <format>', 'table | csv | json', 'table')
    .action((opts: { format: string }) => {
      ctx.out(formatRows(models.map((m) => ({ model: m.name, depends_on: (m.dependsOn ?? []).join(', '), description: m.description })), formatOf(opts.format)));
    });

  cmd
    .command('runs')
    .description('model run history from model_runs: status, as-of date, fit, errors')
    .option('--model <name>', 'only this model')
    .option('--limit <n>', 'most recent runs', '20')
    .option('--format <format>', 'table | csv | json (json includes parameters and diagnostics)', 'table')
    .action(async (opts: { model?: string; limit: string; format: string }) => {
      const format = formatOf(opts.format);
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new AppError('VALIDATION', '--limit expects a positive integer');
      const wh = await ctx.warehouse();
      const rows = await wh.all(
        `select run_id, model, status, as_of_date, time_unit, n_customers, converged, round(log_likelihood, 3) as log_likelihood, duration_ms,
                ${format === 'json' ? 'inputs, parameters, std_errors, diagnostics, warnings,' : ''} coalesce(error, summary) as summary
         from model_runs where ($model is null or model = $model) order by run_id desc limit $limit`,
        { model: opts.model ?? null, limit },
      );
      ctx.out(formatRows(rows, format));
    });
};
