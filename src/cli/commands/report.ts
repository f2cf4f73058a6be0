import { AppError } from '../../errors.ts';
import { listReports, runReport, type ReportResult } from '../../models/reports/index.ts';
import { formatOf, formatRows, type OutputFormat } from '../format.ts';
import type { RegisterCommands } from './index.ts';

interface ReportFlags {
  list?: boolean;
  from?: string;
  to?: string;
  by?: string;
  groupBy?: string;
  filter: string[];
  param: string[];
  sort?: string;
  limit?: string;
  measures?: string;
  campaign?: string;
  totals: boolean;
  format: string;
}

const collect = (v: string, acc: string[]) => [...acc, v];

/** 'key=value' → [key, value]; the value may itself contain '='. */
export function splitAssignment(flag: string, text: string): [string, string] {
  const i = text.indexOf('=');
  if (i <= 0) throw new AppError('VALIDATION', `${flag} expects key=value (got "${text}")`);
  return [text.slice(0, i).trim(), text.slice(i + 1).trim()];
}

/** Turns the CLI flags into the report's parameter object (validated by the report itself). */
export function reportParamsFromFlags(opts: ReportFlags): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  if (opts.from) params.from = opts.from;
  if (opts.to) params.to = opts.to;
  if (opts.by) params.by = opts.by;
  if (opts.groupBy !== undefined) params.groupBy = opts.groupBy;
  if (opts.sort) params.sort = opts.sort;
  if (opts.limit) params.limit = opts.limit;
  if (opts.measures) params.measures = opts.measures;
  if (opts.campaign) params.campaign = opts.campaign;
  if (!opts.totals) params.totals = false;
  if (opts.filter.length) {
    const filters: Record<string, string[]> = {};
    for (const f of opts.filter) {
      const [k, v] = splitAssignment('--filter', f);
      filters[k] = [...(filters[k] ?? []), ...v.split(',').map((s) => s.trim()).filter(Boolean)];
    }
    params.filters = filters;
  }
  for (const p of opts.param) {
    const [k, v] = splitAssignment('--param', p);
    params[k] = v;
  }
  return params;
}

/** Prints a report result: rows in the chosen format, then its notes and assumptions (table) or on stderr (csv). */
export function printReport(result: ReportResult, format: OutputFormat, out: (t: string) => void, err: (t: string) => void): void {
  if (format === 'json') {
    out(JSON.stringify(result, null, 2));
    return;
  }
  out(formatRows(result.rows, format, result.columns.map((c) => c.name)));
  const lines = [...result.meta.assumptions.map((a) => `assumption: ${a}`), ...result.meta.notes.map((n) => `note: ${n}`)];
  if (result.meta.truncated) lines.push(`note: only the first ${result.meta.rowCount} rows are shown (--limit)`);
  if (!lines.length) return;
  if (format === 'table') out(`\n${result.meta.title} — ${describeRange(result)}\n${lines.join('\n')}`);
  else err(lines.join('\n'));
}

function describeRange(r: ReportResult): string {
  const p = r.meta.params as { from?: string; to?: string; asOf?: string };
  if (p.from && p.to) return `${p.from} … ${p.to}`;
  if (p.asOf) return `as of ${p.asOf}`;
  return `data version ${r.meta.dataVersion}`;
}

export const register: RegisterCommands = (program, ctx) => {
  program
    .command('report')
    .description('management reports: sales, rep performance, campaigns, profitability, service, contacts, funnel, forecast…')
    .argument('[name]', 'report name (see --list)')
    .option('--list', 'list the reports with their group-bys and parameters')
    .option('--from <date>', 'first day, YYYY-MM-DD (default: the first day of the month 11 months ago)')
    .option('--to <date>', 'last day, YYYY-MM-DD (default: today, UTC)')
    .option('--by <bucket>', 'time bucket: day | week | month | quarter | year | none')
    .option('--group-by <dims>', 'up to two group-bys, comma-separated, e.g. region,rep ("" for none)')
    .option('--filter <key=values>', 'keep rows whose dimension has one of the comma-separated values (repeatable)', collect, [])
    .option('--campaign <id>', 'campaign-lift: the campaign exported with --campaign ID --holdout SHARE')
    .option('--param <key=value>', 'a report-specific parameter, e.g. --param customer_id=42 (repeatable)', collect, [])
    .option('--sort <measure>', 'order detail rows by this measure, largest first')
    .option('--limit <n>', 'at most this many rows (default 10000)')
    .option('--measures <list>', 'only these measures, comma-separated (default: all)')
    .option('--no-totals', 'leave out subtotal and total rows')
    .option('--format <format>', 'table | csv | json (json includes columns and meta)', 'table')
    .addHelpText(
      'after',
      '\nExamples:\n  crm report --list\n  crm report sales --from 2024-01-01 --to 2024-12-31 --by quarter --group-by region,category\n  crm report rep-performance --by month --group-by team --format csv\n  crm report customer-timeline --param customer_id=42\n  crm report campaign-lift --campaign C-2026-06',
    )
    .action(async (name: string | undefined, opts: ReportFlags) => {
      const format = formatOf(opts.format);
      if (opts.list || !name) {
        const reports = listReports();
        if (format === 'json') return ctx.out(JSON.stringify(reports, null, 2));
        const rows = reports.map((r) => ({
          report: r.name,
          description: r.description,
          group_bys: r.groupBys.join(', '),
          params: r.extraParams.join(', '),
        }));
        return ctx.out(formatRows(rows, format));
      }
      const result = await runReport(await ctx.warehouse(), name, reportParamsFromFlags(opts));
      printReport(result, format, ctx.out, ctx.err);
    });
};
