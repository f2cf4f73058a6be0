import type { Command } from 'commander';
import { AppError } from '../../errors.ts';
import { loadStageConfig } from '../../models/funnel/stage-config.ts';
import { saveFunnelRun } from '../../models/funnel/runs.ts';
import { runReport } from '../../models/reports/index.ts';
import type { CliContext } from '../context.ts';
import { formatOf, formatRows } from '../format.ts';
import type { RegisterCommands } from './index.ts';
import { printReport, splitAssignment } from './report.ts';

const collect = (v: string, acc: string[]) => [...acc, v];

interface Common {
  from?: string;
  to?: string;
  cohort?: string;
  by?: string;
  filter: string[];
  save?: boolean;
  step?: string;
  format: string;
}

function commonParams(o: Common): Record<string, unknown> {
  const p: Record<string, unknown> = {};
  if (o.from) p.from = o.from;
  if (o.to) p.to = o.to;
  if (o.cohort) p.cohort = o.cohort;
  if (o.by) p.breakdown = o.by;
  if (o.filter.length) {
    const filters: Record<string, string[]> = {};
    for (const f of o.filter) {
      const [k, v] = splitAssignment('--filter', f);
      filters[k] = [...(filters[k] ?? []), ...v.split(',').map((s) => s.trim()).filter(Boolean)];
    }
    p.filters = filters;
  }
  return p;
}

function withCommon(cmd: Command): Command {
  return cmd
    .option('--from <date>', 'first day (deals created / touches sent), YYYY-MM-DD; default: 12 months back')
    .option('--to <date>', 'last day, YYYY-MM-DD; default: today (UTC)')
    .option('--cohort <unit>', 'split by creation cohort: month | quarter')
    .option('--by <dimension>', 'break down by one dimension (e.g. rep, team, region, source, campaign, product, segment)')
    .option('--filter <key=values>', 'keep only these dimension values (repeatable), e.g. --filter team=North', collect, [])
    .option('--save', 'store the run and its drop-offs in funnel_runs / funnel_dropoffs (for segments)')
    .option('--step <step>', 'with --save: store only the drop-offs of this stage/step')
    .option('--format <format>', 'table | csv | json', 'table');
}

async function save(ctx: CliContext, kind: 'stage' | 'marketing', params: Record<string, unknown>, step?: string) {
  const run = await saveFunnelRun(await ctx.warehouse(), kind, params, { step });
  ctx.err(`${run.summary}\nsegment rule source: select customer_id from funnel_dropoffs where run_id = ${run.runId}${step ? ` and step = '${step}'` : ''}`);
}

export const register: RegisterCommands = (program, ctx) => {
  const funnel = program.command('funnel').description('deal stage funnel and marketing funnel, with drop-offs you can save for segments');

  withCommon(funnel.command('stage', { isDefault: true }).description('deal stage funnel (the default): reached, conversion, drop-off, time in stage'))
    .option('--pipeline <name>', 'one pipeline (default: each pipeline with deals in the range)')
    .option('--mode <mode>', 'auto | history | current-stage (ignore stage history, as in a history-less export)', 'auto')
    .option('--stages <file>', 'stage order JSON ({ "pipelines": { NAME: { "stages": [...], "won": [...], "lost": [...] } } })')
    .option('--lost-reasons', 'show the lost reasons per stage instead of the funnel')
    .action(async (o: Common & { pipeline?: string; mode: string; stages?: string; lostReasons?: boolean }) => {
      const format = formatOf(o.format);
      const params = { ...commonParams(o), mode: o.mode.replace('-', '_') } as Record<string, unknown>;
      if (o.pipeline) params.pipeline = o.pipeline;
      if (o.stages) params.stages = loadStageConfig(o.stages);
      const result = await runReport(await ctx.warehouse(), o.lostReasons ? 'funnel-lost-reasons' : 'funnel', params);
      printReport(result, format, ctx.out, ctx.err);
      if (o.save) await save(ctx, 'stage', params, o.step);
    });

  withCommon(funnel.command('marketing').description('campaign touch → opened → clicked → deal → won, with conversion windows'))
    .option('--steps <steps>', 'comma-separated steps from sent, opened, clicked, converted, deal, won, order (first: sent)', 'sent,opened,clicked,deal,won')
    .option('--windows <windows>', 'window of each step after the first (7d, 12h, 30m), or one for all')
    .option('--order <order>', 'ordered | any', 'ordered')
    .option('--attribution <a>', 'customer (any deal/order of the customer) | campaign (only those with the campaign id)', 'customer')
    .option('--campaign <ids>', 'only these campaign ids, comma-separated')
    .action(async (o: Common & { steps: string; windows?: string; order: string; attribution: string; campaign?: string }) => {
      const format = formatOf(o.format);
      const params: Record<string, unknown> = { ...commonParams(o), steps: o.steps, order: o.order, attribution: o.attribution };
      if (o.windows) params.windows = o.windows;
      if (o.campaign) params.campaign = o.campaign;
      const result = await runReport(await ctx.warehouse(), 'marketing-funnel', params);
      printReport(result, format, ctx.out, ctx.err);
      if (o.save) await save(ctx, 'marketing', params, o.step);
    });

  funnel
    .command('dropoffs')
    .description('list the drop-offs a saved funnel run stored')
    .requiredOption('--run <id>', 'funnel run id')
    .option('--step <step>', 'only this step')
    .option('--limit <n>', 'at most this many rows', '1000')
    .option('--format <format>', 'table | csv | json', 'table')
    .action(async (o: { run: string; step?: string; limit: string; format: string }) => {
      const format = formatOf(o.format);
      const run = Number(o.run);
      const limit = Number(o.limit);
      if (!Number.isInteger(run) || run < 1) throw new AppError('VALIDATION', `--run must be a run id (got "${o.run}")`);
      if (!Number.isInteger(limit) || limit < 1) throw new AppError('VALIDATION', `--limit must be a positive integer (got "${o.limit}")`);
      const rows = await (await ctx.warehouse()).all(
        `select step, step_index, customer_id, deal_id, touch_id, campaign_id, reason, dropped_at
         from funnel_dropoffs where run_id = $run and ($step is null or step = $step)
         order by step_index, customer_id, deal_id, touch_id limit $limit`,
        { run, step: o.step ?? null, limit },
      );
      ctx.out(formatRows(rows, format));
    });
};
