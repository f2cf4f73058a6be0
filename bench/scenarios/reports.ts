/**
 * Scenario `reports`: funnel + forecast + every management report on the demo warehouse of
 * `--customers` customers (default 1M). Builds the warehouse once per size under
 * data/bench/reports-<N>/ (crm generate, then crm ingest --all) and reuses it on later runs.
 * The model steps run first (report marts, funnel and forecast runs, segments for the segment
 * dimension), as the nightly `crm models run` would; then each report runs cold once, then three more
 * times; the target is each run under 1 s.
 * The warehouse is opened with 2 threads (the target machine). CRM_BENCH_REPORTS_DB=path runs on an
 * existing warehouse instead (e.g. a copy in /tmp: the run writes marts and model runs into it).
 * To keep runs short while tuning: CRM_BENCH_REPORTS_MODELS=all (default) | marts | none chooses which
 * model steps run first (none: the warehouse's marts and runs as they are); CRM_BENCH_REPORTS_CASES=<regex>
 * runs only the cases whose label matches; CRM_BENCH_REPORTS_DUMP=<file.json> writes every case's
 * columns and rows (to compare answers before and after a change).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchOptions, BenchRow, Scenario } from '../run.ts';
import { saveForecastRun } from '../../src/models/forecast/runs.ts';
import { saveFunnelRun } from '../../src/models/funnel/runs.ts';
import { refreshReportMarts, runReport } from '../../src/models/reports/index.ts';
import { Warehouse } from '../../src/warehouse/index.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The report calls measured: every report with its defaults, plus heavier variants users will run. */
const cases: { label: string; report: string; params: Record<string, unknown> }[] = [
  { label: 'sales (by month)', report: 'sales', params: {} },
  { label: 'sales by quarter × region, category', report: 'sales', params: { by: 'quarter', groupBy: 'region,category' } },
  { label: 'sales by month × rep', report: 'sales', params: { groupBy: 'rep' } },
  { label: 'rep-performance', report: 'rep-performance', params: {} },
  { label: 'rep-performance by month × team', report: 'rep-performance', params: { by: 'month', groupBy: 'team' } },
  { label: 'quota-attainment', report: 'quota-attainment', params: {} },
  { label: 'campaign-effectiveness', report: 'campaign-effectiveness', params: {} },
  { label: 'campaign-effectiveness × segment', report: 'campaign-effectiveness', params: { groupBy: 'campaign,segment' } },
  { label: 'customer-profitability', report: 'customer-profitability', params: {} },
  { label: 'customer-profitability top 100 customers', report: 'customer-profitability', params: { groupBy: 'customer_id', sort: 'profit', limit: 100 } },
  { label: 'service', report: 'service', params: {} },
  { label: 'service × segment', report: 'service', params: { by: 'none', groupBy: 'segment' } },
  { label: 'contact-stats', report: 'contact-stats', params: {} },
  { label: 'customer-timeline', report: 'customer-timeline', params: { customer_id: 1 } },
  { label: 'funnel', report: 'funnel', params: {} },
  { label: 'funnel by quarter × team', report: 'funnel', params: { cohort: 'quarter', breakdown: 'team' } },
  { label: 'funnel, current stage only', report: 'funnel', params: { mode: 'current_stage' } },
  { label: 'funnel-lost-reasons', report: 'funnel-lost-reasons', params: {} },
  { label: 'marketing-funnel', report: 'marketing-funnel', params: {} },
  { label: 'marketing-funnel, any order, by campaign', report: 'marketing-funnel', params: { order: 'any', breakdown: 'campaign' } },
  { label: 'pipeline-forecast', report: 'pipeline-forecast', params: {} },
  { label: 'win-rates per team', report: 'win-rates', params: { perTeam: true } },
  { label: 'revenue-forecast', report: 'revenue-forecast', params: {} },
  { label: 'forecast-backtest', report: 'forecast-backtest', params: {} },
  { label: 'forecast-accuracy', report: 'forecast-accuracy', params: {} },
];

function crm(args: string[], env: Record<string, string>): void {
  execFileSync(process.execPath, [join(root, 'bin', 'crm.js'), ...args], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
}

async function timed<T>(fn: () => Promise<T>): Promise<{ seconds: number; value: T }> {
  const t = performance.now();
  const value = await fn();
  return { seconds: (performance.now() - t) / 1000, value };
}

const rss = () => Math.round(process.memoryUsage().rss / 2 ** 20);

const scenario: Scenario = {
  name: 'reports',
  description: 'funnel, forecast and every management report on the demo warehouse (each under 1 s on 2 cores)',
  async run(opts: BenchOptions): Promise<BenchRow[]> {
    const dir = join(opts.workDir, `reports-${opts.customers}`);
    const exportDir = join(dir, 'export');
    const db = process.env.CRM_BENCH_REPORTS_DB ?? join(dir, 'crm.duckdb');
    const rows: BenchRow[] = [];
    if (!existsSync(db)) {
      mkdirSync(dir, { recursive: true });
      const g = performance.now();
      crm(['generate', '--customers', String(opts.customers), '--seed', '42', '--out', exportDir, '--force'], {});
      rows.push({ scenario: 'reports', step: 'setup: crm generate', seconds: (performance.now() - g) / 1000 });
      const i = performance.now();
      crm(['ingest', '--all'], { CRM_DB: db, CRM_DEMO_DIR: exportDir });
      rows.push({ scenario: 'reports', step: 'setup: crm ingest --all', seconds: (performance.now() - i) / 1000 });
    }
    const wh = await Warehouse.open(db, { threads: 2 });
    try {
      const [counts] = await wh.all<Record<string, number>>(
        `select (select count(*) from customers) as customers, (select count(*) from orders) as orders, (select count(*) from order_lines) as order_lines,
           (select count(*) from deals) as deals, (select count(*) from deal_stage_history) as stage_history, (select count(*) from interactions) as interactions,
           (select count(*) from campaign_touches) as touches, (select count(*) from tickets) as tickets`,
      );
      console.error(`warehouse: ${Object.entries(counts).map(([k, v]) => `${k} ${v.toLocaleString('en')}`).join(', ')}`);

      // Model runs: what `crm models run reports funnel forecast` does (marts, stored runs, drop-offs,
      // snapshots). The report marts first: without them the reports compute from the base tables
      // (e.g. 21 M order lines joined to 10 M orders for sales by category) and count distinct customers
      // without bitmaps.
      const models = process.env.CRM_BENCH_REPORTS_MODELS ?? 'all';
      if (!['all', 'marts', 'none'].includes(models)) throw new Error(`CRM_BENCH_REPORTS_MODELS: all, marts or none (got ${models})`);
      if (models !== 'none') {
        const marts = await timed(() => refreshReportMarts(wh));
        rows.push({
          scenario: 'reports',
          step: `model: report marts (${marts.value.map((m) => `${m.name} ${m.rows.toLocaleString('en')}`).join(', ')})`,
          seconds: marts.seconds,
          rows: marts.value.reduce((n, m) => n + m.rows, 0),
          peak_rss_mb: rss(),
        });
      }
      if (models === 'all') {
        const funnel = await timed(() => saveFunnelRun(wh, 'stage', {}));
        rows.push({ scenario: 'reports', step: 'model: stage funnel run + drop-offs', seconds: funnel.seconds, rows: funnel.value.dropoffs, peak_rss_mb: rss() });
        const mkt = await timed(() => saveFunnelRun(wh, 'marketing', {}));
        rows.push({ scenario: 'reports', step: 'model: marketing funnel run + drop-offs', seconds: mkt.seconds, rows: mkt.value.dropoffs, peak_rss_mb: rss() });
        const fc = await timed(() => saveForecastRun(wh, {}, {}));
        rows.push({ scenario: 'reports', step: `model: forecast run (${fc.value.method})`, seconds: fc.seconds, peak_rss_mb: rss() });
        // The segment dimension needs a segments run; make one when the segments model is there.
        const segments = await import('../../src/models/index.ts').then((m) => m.models.find((x) => x.name === 'segments')).catch(() => undefined);
        if (segments) {
          const s = await timed(() => segments.run(wh, {}));
          rows.push({ scenario: 'reports', step: 'setup: segments model (for the segment dimension)', seconds: s.seconds });
        }
      }

      const only = process.env.CRM_BENCH_REPORTS_CASES ? new RegExp(process.env.CRM_BENCH_REPORTS_CASES) : null;
      const dump: Record<string, unknown> = {};

      for (const c of cases) {
        if (only && !only.test(c.label)) continue;
        try {
          const cold = await timed(() => runReport(wh, c.report, c.params));
          dump[c.label] = { columns: cold.value.columns, rows: cold.value.rows, notes: cold.value.meta.notes, truncated: cold.value.meta.truncated };
          const warm: number[] = [];
          for (let i = 0; i < 3; i++) warm.push((await timed(() => runReport(wh, c.report, c.params))).seconds);
          const worst = Math.max(cold.seconds, ...warm);
          const median = [...warm].sort((a, b) => a - b)[1];
          rows.push({
            scenario: 'reports',
            step: `${c.label} (cold; warm median ${median.toFixed(2)} s)`,
            seconds: cold.seconds,
            rows: cold.value.rows.length,
            target: '< 1 s',
            result: worst < 1 ? 'ok' : `SLOW (max ${worst.toFixed(2)} s)`,
            peak_rss_mb: rss(),
          });
        } catch (e) {
          rows.push({ scenario: 'reports', step: c.label, seconds: null, target: '< 1 s', result: `error: ${(e as Error).message.split('\n')[0]}` });
        }
      }
      if (process.env.CRM_BENCH_REPORTS_DUMP) writeFileSync(process.env.CRM_BENCH_REPORTS_DUMP, JSON.stringify(dump, null, 1));
    } finally {
      await wh.close();
    }
    return rows;
  },
};

export default scenario;
