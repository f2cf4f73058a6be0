import { Option } from 'commander';
import { AppError } from '../../errors.ts';
import { DashboardService, exportDashboard, type ExportFormat } from '../../publish/dashboards/index.ts';
import { formatRows, type OutputFormat } from '../format.ts';
import type { RegisterCommands } from './index.ts';

const collect = (v: string, acc: string[]) => [...acc, v];

/** `--filters "region=EMEA,from=2026-01-01"` (also `&`-separated, repeatable) → { region, from }. */
export function parseFilterFlags(values: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    for (const pair of v.split(/[,&]/).map((s) => s.trim()).filter(Boolean)) {
      const i = pair.indexOf('=');
      if (i <= 0) throw new AppError('VALIDATION', `--filters expects key=value pairs separated by , or & (got "${pair}")`, { field: '--filters' });
      const key = pair.slice(0, i).trim();
      if (key in out) throw new AppError('VALIDATION', `--filters sets "${key}" twice`, { field: '--filters' });
      out[key] = pair.slice(i + 1).trim();
    }
  }
  return out;
}

/** `crm dashboard list | show | panel | export`: the dashboards without a browser. */
export const register: RegisterCommands = (program, ctx) => {
  const cmd = program.command('dashboard').description('list dashboards, print a panel’s data, export a dashboard as HTML, SVG or PNG');

  cmd
    .command('list')
    .description('the dashboards in dashboards/ with their filters and panels')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'csv', 'json']).default('table'))
    .action(async (opts: { format: OutputFormat }) => {
      const svc = new DashboardService(await ctx.warehouse());
      const rows = svc.dashboards.map((d) => ({
        name: d.name,
        title: d.title,
        filters: d.filters.join(' '),
        kpis: d.kpis.map((k) => k.id).join(' '),
        panels: d.panels.map((p) => p.id).join(' '),
      }));
      ctx.out(formatRows(rows, opts.format));
    });

  cmd
    .command('panel <dashboard> <panel>')
    .description('print one panel’s data for the given filters (what the page draws and the API returns)')
    .option('--filters <pairs>', 'filters as key=value pairs separated by , or & (from, to, granularity, region, rep, segment)', collect, [])
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'csv', 'json']).default('table'))
    .action(async (name: string, panelId: string, opts: { filters: string[]; format: OutputFormat }) => {
      const svc = new DashboardService(await ctx.warehouse());
      const d = svc.get(name);
      const state = await svc.filters(d, parseFilterFlags(opts.filters));
      const r = await svc.panel(d, panelId, state);
      if (opts.format === 'json') return ctx.out(JSON.stringify(r, null, 2));
      if (r.empty) ctx.err(`${d.name}/${r.panel}: ${r.empty.message}`);
      ctx.out(formatRows(r.rows, opts.format, r.columns.map((c) => c.name)));
      if (opts.format === 'table') ctx.err(`filters: ${JSON.stringify(state)} · data version ${r.dataVersion}`);
    });

  cmd
    .command('export <dashboard>')
    .description('write a self-contained HTML file, or one SVG/PNG per panel, for e-mail')
    .addOption(new Option('--format <format>', 'html: one file with data and scripts inline; svg/png: one file per panel').choices(['html', 'svg', 'png']).default('html'))
    .requiredOption('--out <dir>', 'output folder (created if missing; files are replaced)')
    .option('--filters <pairs>', 'filters as key=value pairs separated by , or & (from, to, granularity, region, rep, segment)', collect, [])
    .action(async (name: string, opts: { format: ExportFormat; out: string; filters: string[] }) => {
      const svc = new DashboardService(await ctx.warehouse());
      const { files, state } = await exportDashboard(svc, name, { format: opts.format, outDir: opts.out, filters: parseFilterFlags(opts.filters) });
      ctx.out(files.join('\n'));
      ctx.err(`exported ${name} as ${opts.format}: ${files.length} file${files.length === 1 ? '' : 's'} · filters ${JSON.stringify(state)}`);
    });
};
