/**
 * Scenario `exports`: a target list of about `--customers` rows (default 1M) exported as CSV and as
 * Parquet by `createExport` — segment evaluation, consent checks, dedupe, holdout draw, the audit rows
 * in export_members and export_log, the file and its checksum — beside a bare DuckDB
 * `COPY (select …) TO` of the same rows. Target: export ≤ 1.2 × the bare COPY.
 *
 * The warehouse is built with SQL under data/bench/exports-<N>/ (once; reused later): N / 0.95
 * customers of whom about 5 % are not contactable by e-mail, so about N rows are exported.
 * Each step runs five times; the median is reported, for wall time and for CPU time (all threads). Opened with 2 threads (the target machine).
 */
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { DuckDBValue } from '@duckdb/node-api';
import type { BenchOptions, BenchRow, Scenario } from '../run.ts';
import { createSegment, loadCatalog } from '../../src/models/segments/index.ts';
import { createExport, type ExportManifest } from '../../src/publish/exports/index.ts';
import { Warehouse } from '../../src/warehouse/index.ts';

const rss = () => Math.round(process.memoryUsage().rss / 2 ** 20);
/** Runs per measurement; the median is reported. */
const RUNS = 5;
const cpuSeconds = (since: NodeJS.CpuUsage) => {
  const d = process.cpuUsage(since);
  return (d.user + d.system) / 1e6;
};

async function build(wh: Warehouse, total: number): Promise<void> {
  await wh.run(`
    insert into customers (customer_id, first_name, last_name, email, email_norm, phone, phone_norm, street, postal_code, city, country, region,
      acquisition_channel, acquired_at, email_opt_in, sms_opt_in, phone_opt_in, do_not_contact, unsubscribed_at, created_at)
    select i,
      (['Ada', 'Bo', 'Cy', 'Di', 'Ed', 'Fe', 'Gu', 'Ha', 'Io', 'Jo'])[1 + i % 10],
      (['Smith', 'Müller', 'Dupont', 'García', 'Rossi', 'Nowak', 'Jensen', 'Silva'])[1 + i % 8],
      'user' || i || '@example.com', 'user' || i || '@example.com',
      '+49 30 ' || lpad(cast(i as varchar), 8, '0'), right('30' || lpad(cast(i as varchar), 8, '0'), 10),
      'Street ' || (i % 997) || ' No. ' || i, lpad(cast(i % 99999 as varchar), 5, '0'), 'City ' || (i % 500),
      (['DE', 'FR', 'GB', 'US', 'SE'])[1 + i % 5], 'EMEA', (['web', 'ads', 'partner'])[1 + i % 3],
      timestamptz '2020-01-01 00:00:00+00' + to_seconds(i * 150),
      i % 40 <> 7, i % 3 = 0, i % 5 = 0, i % 100 = 13, case when i % 50 = 21 then timestamptz '2024-01-01 00:00:00+00' end,
      timestamptz '2020-01-01 00:00:00+00'
    from range(1, ${total + 1}) t(i)`);
}

const scenario: Scenario = {
  name: 'exports',
  description: 'a ~1M-row e-mail target list as CSV and Parquet (createExport) beside a bare DuckDB COPY of the same rows (target ≤ 1.2×)',
  async run(opts: BenchOptions): Promise<BenchRow[]> {
    const dir = join(opts.workDir, `exports-${opts.customers}`);
    const db = join(dir, 'crm.duckdb');
    const out = join(dir, 'out');
    const total = Math.round(opts.customers / 0.95);
    const rows: BenchRow[] = [];
    if (!existsSync(db)) {
      mkdirSync(dir, { recursive: true });
      const wh = await Warehouse.open(db, { threads: 2 });
      const t = performance.now();
      await build(wh, total);
      await createSegment(wh, { name: 'bench-everyone', label: 'Everyone', rule: { all: [{ field: 'created_at', op: 'before', value: '2030-01-01' }] } });
      rows.push({ scenario: 'exports', step: `setup: ${total.toLocaleString('en')} customers with SQL`, seconds: (performance.now() - t) / 1000 });
      await wh.close();
    }
    rmSync(out, { recursive: true, force: true });
    mkdirSync(out, { recursive: true });
    const wh = await Warehouse.open(db, { threads: 2 });
    try {
      if (!(await loadCatalog(wh)).segments.has('bench-everyone')) throw new Error(`${db} lacks segment bench-everyone; delete ${dir} and rerun`);
      // Old runs' audit rows would slow nothing measured, but keep the file small.
      await wh.run('delete from export_members');
      await wh.run('delete from export_log');
      const fields = "customer_id, email, first_name, last_name";
      // The same rows by hand: contactable by e-mail (this data has no duplicate or malformed addresses).
      const bareSelect = `select ${fields} from customers
        where created_at < timestamptz '2030-01-01 00:00:00+00' and do_not_contact is not true and unsubscribed_at is null and email_opt_in is true
        order by customer_id`;
      const bare = async (format: string, file: string) =>
        wh.withConnection(async (q) => {
          const c = process.cpuUsage();
          const t = performance.now();
          const r = await q.conn.runAndReadAll(`copy (${bareSelect}) to '${join(out, file)}' (${format})`, [] as DuckDBValue[]);
          return { seconds: (performance.now() - t) / 1000, cpu: cpuSeconds(c), rows: Number(r.getRows()[0]?.[0] ?? r.rowsChanged) };
        });
      const exp = async (format: 'csv' | 'parquet', file: string) => {
        const c = process.cpuUsage();
        const t = performance.now();
        const m: ExportManifest = await createExport(wh, {
          segment: 'bench-everyone',
          channel: 'email',
          format,
          out: join(out, file),
          force: true,
          asOf: '2026-11-23',
          requestedBy: 'bench',
        });
        return { seconds: (performance.now() - t) / 1000, cpu: cpuSeconds(c), rows: m.counts.rowsWritten, m };
      };
      const repeat = async <T extends { seconds: number; cpu: number; rows: number }>(fn: () => Promise<T>) => {
        const runs: T[] = [];
        for (let i = 0; i < RUNS; i++) runs.push(await fn());
        const mid = [...runs].sort((a, b) => a.seconds - b.seconds)[Math.floor(runs.length / 2)];
        const cpu = runs.map((r) => r.cpu).sort((a, b) => a - b)[Math.floor(runs.length / 2)];
        return { seconds: mid.seconds, cpu, rows: runs[0].rows, last: mid };
      };
      for (const [format, copyOpts, ext] of [
        ['csv', "format csv, header true, delimiter ',', quote '\"', escape '\"'", 'csv'],
        ['parquet', 'format parquet, compression zstd', 'parquet'],
      ] as const) {
        const b = await repeat(() => bare(copyOpts, `bare.${ext}`));
        rows.push({ scenario: 'exports', step: `bare COPY ${format}`, seconds: b.seconds, rows: b.rows, peak_rss_mb: rss() });
        const e = await repeat(() => exp(format, `list.${ext}`));
        const ratio = e.seconds / b.seconds;
        if (e.rows !== b.rows) throw new Error(`export wrote ${e.rows} rows, bare COPY ${b.rows}`);
        rows.push({
          scenario: 'exports',
          step: `crm export ${format} (${e.last.m.counts.segmentMembers.toLocaleString('en')} members → ${e.rows.toLocaleString('en')} rows, ${(statSync(join(out, `list.${ext}`)).size / 2 ** 20).toFixed(0)} MiB)`,
          seconds: e.seconds,
          rows: e.rows,
          target: '≤ 1.2× bare',
          result: `${ratio.toFixed(2)}× ${ratio <= 1.2 ? 'ok' : 'MISSED'}`,
          peak_rss_mb: rss(),
        });
        const st = e.last.m.stages;
        const w = st.writeMs / 1000 / b.seconds;
        rows.push({ scenario: 'exports', step: `  of which: evaluate (segment, consent, dedupe, holdout)`, seconds: st.evaluateMs / 1000 });
        rows.push({ scenario: 'exports', step: `  of which: write file (COPY, escaping in SQL)`, seconds: st.writeMs / 1000, target: '≤ 1.2× bare', result: `${w.toFixed(2)}× ${w <= 1.2 ? 'ok' : 'MISSED'}` });
        rows.push({ scenario: 'exports', step: `  of which: audit rows + sha256`, seconds: st.auditMs / 1000 });
        // CPU time of all threads (DuckDB's and Node's): steadier than wall time on a shared machine.
        const c = e.cpu / b.cpu;
        rows.push({ scenario: 'exports', step: `  CPU seconds: bare COPY ${b.cpu.toFixed(2)}, crm export (median)`, seconds: e.cpu, result: `${c.toFixed(2)}× bare CPU` });
      }
      let t = performance.now();
      const held = await createExport(wh, { segment: 'bench-everyone', channel: 'email', out: join(out, 'holdout.csv'), force: true, holdout: 0.1, campaign: 'BENCH', asOf: '2026-11-23' });
      rows.push({ scenario: 'exports', step: 'crm export csv, 10% holdout', seconds: (performance.now() - t) / 1000, rows: held.counts.rowsWritten, peak_rss_mb: rss() });
      t = performance.now();
      const arrow = await createExport(wh, { segment: 'bench-everyone', channel: 'email', out: join(out, 'list.arrow'), force: true, asOf: '2026-11-23' });
      rows.push({ scenario: 'exports', step: 'crm export arrow (apache-arrow from DuckDB chunks)', seconds: (performance.now() - t) / 1000, rows: arrow.counts.rowsWritten, peak_rss_mb: rss() });
    } finally {
      await wh.close();
    }
    return rows;
  },
};

export default scenario;
