/**
 * Scenario `postgres`: N order rows (`--customers N`, default 1M; contacts N/10) in a throw-away
 * PostgreSQL 15 → the warehouse, beside the manual path in the same run:
 *   manual: `psql \copy (select * from orders) to orders.csv csv header`, then either DuckDB
 *           `read_csv` into a table (raw) or `crm ingest` of a CSV pipeline with the same mapping;
 *   source: `crm ingest pipelines/examples/postgres-orders.json` (COPY streamed to a temp file,
 *           read_csv, contract, merge, data tests), and the extract alone (stage into `stg`).
 * Each step runs as its own process; peak RSS is its VmHWM. Both paths run twice, alternating.
 * Then 1% of the orders change, 0.1% are deleted and 0.1% added, and the incremental load (watermark
 * pushed down, key set for deletes) is timed against the manual path's only option: everything again.
 * Target: the source path no slower than the manual one, peak RSS ≤ 1 GiB. Loads run with
 * CRM_MEMORY_LIMIT=512MB (DuckDB's buffer limit; override with CRM_BENCH_MEMORY_LIMIT), the
 * setting for a 1 GiB budget: without it DuckDB keeps the load's temp tables in memory (one more
 * full load shows how much).
 * Needs PostgreSQL's server binaries and psql (Debian's postgresql package).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { BenchOptions, BenchRow, Scenario } from '../run.ts';
import { startPostgres } from '../../test/ingest/postgres/pg-server.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const example = join(root, 'pipelines', 'examples', 'postgres-orders.json');

interface Measured {
  seconds: number;
  peakRssMb: number | null;
  stdout: string;
}

/** Runs a process to completion, sampling its peak RSS (VmHWM) from /proc while it runs. */
function measured(cmd: string, args: string[], env: Record<string, string> = {}): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const t = performance.now();
    const child = spawn(cmd, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let peak: number | null = null;
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const poll = setInterval(() => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) peak = Math.max(peak ?? 0, Number(m[1]) / 1024);
      } catch {
        // exited between polls
      }
    }, 25);
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(poll);
      if (code !== 0) reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${stderr.slice(-2000)}`));
      else resolve({ seconds: (performance.now() - t) / 1000, peakRssMb: peak === null ? null : Math.round(peak), stdout });
    });
  });
}

const crm = (args: string[], env: Record<string, string>) => measured(process.execPath, [join(root, 'bin', 'crm.js'), ...args], env);

/** The run's own duration and counts from `crm ingest`'s summary table (the process start is the same for both paths). */
function ingestSummary(m: Measured, pipeline: string): { seconds: number; text: string } {
  const line = m.stdout.split('\n').find((l) => l.trim().split(/\s+/)[1] === pipeline);
  if (!line) throw new Error(`no summary line for ${pipeline} in:\n${m.stdout}`);
  const [, , , status, read, inserted, updated, unchanged, deleted, quarantined, , seconds] = line.trim().split(/\s+/);
  if (status !== 'succeeded') throw new Error(`${pipeline} ${status}:\n${m.stdout}`);
  return { seconds: Number(seconds), text: `read ${read}: ${inserted} new, ${updated} updated, ${unchanged} unchanged, ${deleted} deleted, ${quarantined} quarantined` };
}

/** DuckDB `read_csv` of the manual export into a table, in its own process. */
const readCsvScript = `
import { DuckDBInstance } from '@duckdb/node-api';
const [db, csv] = process.argv.slice(-2);
const c = await (await DuckDBInstance.create(db, { threads: '2' })).connect();
await c.run("set TimeZone = 'UTC'");
const t = performance.now();
await c.run("create or replace table orders_raw as select * from read_csv('" + csv.replaceAll("'", "''") + "', header = true)");
const seconds = (performance.now() - t) / 1000;
const r = await c.runAndReadAll('select count(*)::int as n from orders_raw');
console.log(JSON.stringify({ ...r.getRowObjectsJson()[0], seconds }));
`;

/** Only the extract: stage the source into `stg`, in its own process. */
const stageScript = `
import { Warehouse } from './src/warehouse/index.ts';
import { loadPipelineFile } from './src/ingest/index.ts';
import { stagePostgres } from './src/ingest/sources/postgres.ts';
const [db, file] = process.argv.slice(-2);
const p = loadPipelineFile(file);
const wh = await Warehouse.open(db, { threads: 2 });
const t = performance.now();
const staged = await wh.withConnection((q) => stagePostgres(q, p.source, { pipeline: p }));
console.log(JSON.stringify({ rows: staged.rowsRead, seconds: (performance.now() - t) / 1000 }));
await wh.close();
`;

function seedSql(orders: number, contacts: number): string {
  return `
insert into contacts (id, "firstName", "lastName", email, "marketingOptIn", "createdAt", "updatedAt")
select i, 'First' || i, 'Last' || i, 'c' || i || '@example.com', i % 2 = 0, timestamptz '2022-01-01' + i * interval '1 minute', timestamptz '2023-01-01' + i * interval '1 minute'
from generate_series(1::bigint, ${contacts}) i;
insert into orders
select i, 'SO-' || lpad(i::text, 9, '0'), 1 + (i * 7919) % ${contacts},
  timestamptz '2023-01-01' + (i % 500000) * interval '61 seconds',
  (array['paid', 'paid', 'paid', 'pending', 'refunded', 'voided'])[1 + i % 6]::order_state,
  round(((i % 9973) + 1) / 7.0, 2), (i % 5)::numeric, 'USD', 1 + i % 6,
  case i % 3 when 0 then 'web' when 1 then 'store' end,
  timestamptz '2024-01-01' + i * interval '1 second'
from generate_series(1::bigint, ${orders}) i;
analyze;`;
}

const scenario: Scenario = {
  name: 'postgres',
  description: 'N order rows from PostgreSQL into the warehouse: the postgres source beside psql \\copy + read_csv / crm ingest (target: no slower, peak RSS ≤ 1 GiB)',
  async run(opts: BenchOptions): Promise<BenchRow[]> {
    const orders = opts.customers;
    const contacts = Math.max(1000, Math.round(orders / 10));
    const dir = join(opts.workDir, `postgres-${orders}`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const rows: BenchRow[] = [];
    const row = (step: string, m: { seconds: number; peakRssMb?: number | null }, extra: Partial<BenchRow> = {}) =>
      rows.push({ scenario: 'postgres', step, seconds: m.seconds, peak_rss_mb: m.peakRssMb ?? null, ...extra });

    const t0 = performance.now();
    const server = await startPostgres({ shared_buffers: '256MB' });
    try {
      const client = new pg.Client({ connectionString: server.url });
      await client.connect();
      await client.query(readFileSync(join(root, 'test', 'ingest', 'postgres', 'opcrm-schema.sql'), 'utf8'));
      await client.query(seedSql(orders, contacts));
      row('setup: start PostgreSQL, seed orders and contacts', { seconds: (performance.now() - t0) / 1000 }, { rows: orders });

      const memoryLimit = process.env.CRM_BENCH_MEMORY_LIMIT ?? '512MB';
      const env = { CRM_PG_URL: server.url, CRM_THREADS: '2', CRM_MEMORY_LIMIT: memoryLimit };
      const manualDb = join(dir, 'manual.duckdb');
      const sourceDb = join(dir, 'source.duckdb');
      const rawDb = join(dir, 'raw.duckdb');
      const stageDb = join(dir, 'stage.duckdb');
      const csv = join(dir, 'orders.csv');
      const csvPipeline = join(dir, 'orders-csv.json');
      const p = JSON.parse(readFileSync(example, 'utf8'));
      writeFileSync(csvPipeline, JSON.stringify({ ...p, name: 'postgres-orders', source: { type: 'csv', path: csv }, incremental: undefined, deletes: { detect: 'missing' } }));
      const contactsPipeline = join(root, 'pipelines', 'examples', 'postgres-contacts.json');
      for (const db of [manualDb, sourceDb]) {
        const m = await crm(['ingest', contactsPipeline], { ...env, CRM_DB: db });
        row(`setup: ${contacts.toLocaleString('en')} contacts via the postgres source`, m, { rows: contacts });
      }

      const psql = (sql: string) => measured('psql', [server.url, '-X', '-q', '-c', "set TimeZone = 'UTC'", '-c', sql]);
      const results: Record<string, number[]> = { manualRaw: [], manualIngest: [], stage: [], source: [] };
      const rss: Record<string, number[]> = { manualRaw: [], manualIngest: [], stage: [], source: [] };
      // Per round: seconds are each step's own time (the process start, the same for both paths, left out); wall times in `result`.
      for (const round of [1, 2]) {
        const copy = await psql(`\\copy (select * from orders) to '${csv}' csv header`);
        row(`round ${round} manual: psql \\copy to CSV`, copy, { rows: orders, result: `wall ${copy.seconds.toFixed(2)} s` });
        const read = await measured(process.execPath, ['--input-type=module', '-e', readCsvScript, rawDb, csv]);
        const r = JSON.parse(read.stdout) as { n: number; seconds: number };
        row(`round ${round} manual: DuckDB read_csv into a table`, { ...read, seconds: r.seconds }, { rows: r.n, result: `wall ${read.seconds.toFixed(2)} s` });
        results.manualRaw.push(copy.seconds + r.seconds);
        rss.manualRaw.push(read.peakRssMb ?? 0);
        rmSync(manualDb, { force: true });
        rmSync(`${manualDb}.wal`, { force: true });
        await crm(['ingest', contactsPipeline], { ...env, CRM_DB: manualDb });
        const ingest = await crm(['ingest', csvPipeline], { ...env, CRM_DB: manualDb });
        const mi = ingestSummary(ingest, 'postgres-orders');
        row(`round ${round} manual: crm ingest of the CSV (contract, merge, tests)`, { ...ingest, seconds: mi.seconds }, { rows: orders, result: `wall ${ingest.seconds.toFixed(2)} s; ${mi.text}` });
        results.manualIngest.push(copy.seconds + mi.seconds);
        rss.manualIngest.push(ingest.peakRssMb ?? 0);

        rmSync(stageDb, { force: true });
        const stage = await measured(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', stageScript, stageDb, example], env);
        const st = JSON.parse(stage.stdout) as { rows: number; seconds: number };
        row(`round ${round} source: extract only (COPY → temp CSV → read_csv into stg)`, { ...stage, seconds: st.seconds }, { rows: st.rows, result: `wall ${stage.seconds.toFixed(2)} s` });
        results.stage.push(st.seconds);
        rss.stage.push(stage.peakRssMb ?? 0);
        rmSync(sourceDb, { force: true });
        rmSync(`${sourceDb}.wal`, { force: true });
        await crm(['ingest', contactsPipeline], { ...env, CRM_DB: sourceDb });
        const load = await crm(['ingest', example], { ...env, CRM_DB: sourceDb });
        const sl = ingestSummary(load, 'postgres-orders');
        row(`round ${round} source: crm ingest postgres-orders.json (full load)`, { ...load, seconds: sl.seconds }, { rows: orders, result: `wall ${load.seconds.toFixed(2)} s; ${sl.text}` });
        results.source.push(sl.seconds);
        rss.source.push(load.peakRssMb ?? 0);
      }
      const best = (xs: number[]) => Math.min(...xs);
      const maxRss = Math.max(...rss.stage, ...rss.source);
      rows.push({
        scenario: 'postgres',
        step: 'extract: source vs psql \\copy + read_csv (best of 2)',
        seconds: best(results.stage),
        target: `≤ ${best(results.manualRaw).toFixed(2)} s`,
        result: best(results.stage) <= best(results.manualRaw) ? 'met' : `missed (${((best(results.stage) / best(results.manualRaw) - 1) * 100).toFixed(0)}% slower)`,
        peak_rss_mb: Math.max(...rss.stage),
      });
      rows.push({
        scenario: 'postgres',
        step: `full load: source vs psql \\copy + crm ingest CSV (best of 2, CRM_MEMORY_LIMIT=${memoryLimit})`,
        seconds: best(results.source),
        target: `≤ ${best(results.manualIngest).toFixed(2)} s, RSS ≤ 1024 MB`,
        result: best(results.source) <= best(results.manualIngest) && maxRss <= 1024 ? 'met' : `missed (${((best(results.source) / best(results.manualIngest) - 1) * 100).toFixed(0)}% slower, RSS ${maxRss} MB)`,
        peak_rss_mb: Math.max(...rss.source),
      });

      rmSync(sourceDb, { force: true });
      rmSync(`${sourceDb}.wal`, { force: true });
      const unlimitedEnv = { CRM_PG_URL: server.url, CRM_THREADS: '2' };
      await crm(['ingest', contactsPipeline], { ...unlimitedEnv, CRM_DB: sourceDb });
      const unlimited = await crm(['ingest', example], { ...unlimitedEnv, CRM_DB: sourceDb });
      const ul = ingestSummary(unlimited, 'postgres-orders');
      row('source: crm ingest postgres-orders.json without CRM_MEMORY_LIMIT', { ...unlimited, seconds: ul.seconds }, { rows: orders, result: `wall ${unlimited.seconds.toFixed(2)} s; ${ul.text}` });

      // Incremental: 1% updated, 0.1% deleted, 0.1% new since the full load.
      const changed = Math.max(1, Math.round(orders / 100));
      const gone = Math.max(1, Math.round(orders / 1000));
      await client.query(`update orders set status = 'refunded', "updatedAt" = now() where id % 100 = 7`);
      await client.query(`delete from orders where id % 1000 = 3`);
      await client.query(
        `insert into orders select ${orders} + i, 'SO-N' || i, 1 + i % ${contacts}, now(), 'paid', 10, 0, 'USD', 1, 'web', now() from generate_series(1::bigint, ${gone}) i`,
      );
      const inc = await crm(['ingest', example], { ...env, CRM_DB: sourceDb });
      const [{ n }] = (await client.query<{ n: number }>('select count(*)::int as n from orders')).rows;
      const is = ingestSummary(inc, 'postgres-orders');
      row(`incremental: source after ${changed.toLocaleString('en')} updates, ${gone.toLocaleString('en')} deletes, ${gone.toLocaleString('en')} inserts`, { ...inc, seconds: is.seconds }, {
        rows: n,
        result: `wall ${inc.seconds.toFixed(2)} s; ${is.text}`,
      });
      const copy = await psql(`\\copy (select * from orders) to '${csv}' csv header`);
      const again = await crm(['ingest', csvPipeline], { ...env, CRM_DB: manualDb });
      const ag = ingestSummary(again, 'postgres-orders');
      row('incremental: manual path (psql \\copy everything + crm ingest CSV)', { seconds: copy.seconds + ag.seconds, peakRssMb: again.peakRssMb }, { rows: n, result: `wall ${(copy.seconds + again.seconds).toFixed(2)} s; ${ag.text}` });
      await client.end();
    } finally {
      server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
    return rows;
  },
};

export default scenario;
