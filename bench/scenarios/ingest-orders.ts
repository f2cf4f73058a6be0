/**
 * Scenario `ingest-orders`: the orders file of the `ingest` scenario alone, on a copy of that
 * scenario's warehouse (data/bench/ingest-<N>/crm.duckdb, built by `npm run bench -- ingest`) with
 * its orders and their quarantine removed, so the customers the contract resolves are there and the
 * load is a first load. In one process and on the same file: a bare DuckDB
 * `create table … as select * from read_csv(…)`, then the `crm` load, then its unchanged re-run, each
 * after a checkpoint, with wall and CPU seconds (CPU includes DuckDB's threads). The statements of
 * the load that take ≥ 0.3 s are listed on stderr. The last rows are fingerprints of what was loaded
 * and quarantined (order-independent sums of row hashes), to compare before and after a change.
 *
 * The copies go to `CRM_BENCH_TMP` (default /tmp/crm-bench-ingest-orders) and are deleted at the end.
 *
 * `CRM_BENCH_BASELINE=/path/to/other/src/ingest/index.ts` (e.g. an earlier commit unpacked with
 * `git archive <commit> src queries | tar -x -C /tmp/old`): after the re-run, the orders are emptied
 * again and that code's load runs too, in the same process, so that both are compared with the same
 * bare read under the same load on the machine; its fingerprints are listed as well.
 */
import { copyFileSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchOptions, BenchRow, Scenario } from '../run.ts';
import { findPipelineFiles, loadPipelineFile, runPipeline } from '../../src/ingest/index.ts';
import { ConnectionQueries, Warehouse } from '../../src/warehouse/index.ts';

const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

/** Logs each statement that takes ≥ 0.3 s (a breakdown of the load) to stderr. */
function traceStatements(): () => void {
  const proto = ConnectionQueries.prototype;
  const { run, all } = proto;
  const wrap = <F extends (this: ConnectionQueries, sql: string, params?: never) => Promise<unknown>>(f: F) =>
    async function (this: ConnectionQueries, sql: string, params?: never) {
      const t = performance.now();
      try {
        return await f.call(this, sql, params);
      } finally {
        const s = (performance.now() - t) / 1000;
        if (s >= 0.3) console.error(`  ${s.toFixed(2).padStart(6)} s  ${sql.replace(/\s+/g, ' ').slice(0, 110)}`);
      }
    };
  proto.run = wrap(run) as typeof run;
  proto.all = wrap(all) as typeof all;
  return () => {
    proto.run = run;
    proto.all = all;
  };
}

async function run({ customers, workDir }: BenchOptions): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const dir = join(workDir, `ingest-${customers}`);
  const source = join(dir, 'crm.duckdb');
  const exportDir = join(dir, 'export');
  if (!existsSync(source)) throw new Error(`${source} is missing: run \`npm run bench -- ingest --customers ${customers}\` first`);
  const tmp = process.env.CRM_BENCH_TMP ?? '/tmp/crm-bench-ingest-orders';
  mkdirSync(tmp, { recursive: true });
  const db = join(tmp, 'crm.duckdb');
  rmSync(`${db}.wal`, { force: true });
  copyFileSync(source, db);
  const env = { ...process.env, CRM_DEMO_DIR: exportDir };
  const file = findPipelineFiles('pipelines/demo').find((f) => loadPipelineFile(f, env).name === 'orders')!;
  const pipeline = loadPipelineFile(file, env);
  const csv = join(exportDir, 'shop/orders.csv');
  const wh = await Warehouse.open(db);
  try {
    await wh.run('delete from orders');
    await wh.run("delete from quarantine where pipeline = 'orders'");
    await wh.run('checkpoint');

    const t0 = performance.now();
    const c0 = cpu();
    await wh.run('create table bench_bare as select * from read_csv($f)', { f: csv });
    const bare = (performance.now() - t0) / 1000;
    const bareCpu = cpu() - c0;
    const [{ n }] = await wh.all<{ n: number }>('select count(*) as n from bench_bare');
    await wh.run('drop table bench_bare');
    await wh.run('checkpoint');
    rows.push({ scenario: 'ingest-orders', step: `orders: bare read_csv into a table (CPU ${bareCpu.toFixed(1)} s)`, seconds: bare, rows: n });

    const untrace = traceStatements();
    let r;
    let full: number;
    let fullCpu: number;
    try {
      const t1 = performance.now();
      const c1 = cpu();
      r = await runPipeline(wh, pipeline, { file, onStep: (s) => console.error(`${((performance.now() - t1) / 1000).toFixed(2).padStart(8)} s: ${s}`) });
      full = (performance.now() - t1) / 1000;
      fullCpu = cpu() - c1;
    } finally {
      untrace();
    }
    if (r.status !== 'succeeded') throw new Error(`orders: ${r.error}`);
    rows.push({
      scenario: 'ingest-orders',
      step: `orders: crm load (${r.rowsInserted.toLocaleString('en')} in, ${r.rowsQuarantined} quarantined; CPU ${fullCpu.toFixed(1)} s = ${(fullCpu / bareCpu).toFixed(2)}×)`,
      seconds: full,
      rows: r.rowsRead,
      target: '≤ 1.5× bare',
      result: `${(full / bare).toFixed(2)}× ${full / bare <= 1.5 ? 'met' : 'missed'}`,
    });
    const cols = 'order_id, customer_id, ordered_at, status, channel, currency, total_amount, discount_amount, item_count, campaign_id, employee_id';
    const [loaded] = await wh.all<{ n: number; h: string }>(`select count(*) as n, sum(hash(${cols}))::varchar as h from orders`);
    const [quarantined] = await wh.all<{ n: number; h: string }>(
      'select count(*) as n, sum(hash(source_file, row_number, field, reason, raw_row::varchar))::varchar as h from quarantine where run_id = $run',
      { run: r.runId },
    );
    await wh.run('checkpoint');

    if (process.env.CRM_BENCH_RERUN !== '0') {
      const t2 = performance.now();
      const c2 = cpu();
      const again = await runPipeline(wh, pipeline, { file });
      const rerun = (performance.now() - t2) / 1000;
      const rerunCpu = cpu() - c2;
      rows.push({
        scenario: 'ingest-orders',
        step: `orders: re-run (${again.rowsUnchanged.toLocaleString('en')} unchanged, ${again.rowsInserted + again.rowsUpdated} written; CPU ${rerunCpu.toFixed(1)} s)`,
        seconds: rerun,
        rows: again.rowsRead,
        result: `${(rerun / bare).toFixed(2)}× bare`,
      });
    }
    rows.push({ scenario: 'ingest-orders', step: `fingerprint: orders ${loaded.n} rows, hash ${loaded.h}`, seconds: null });
    rows.push({ scenario: 'ingest-orders', step: `fingerprint: quarantine ${quarantined.n} rows, hash ${quarantined.h}`, seconds: null });

    const baseline = process.env.CRM_BENCH_BASELINE;
    if (baseline) {
      const other = (await import(baseline)) as { runPipeline: typeof runPipeline };
      await wh.run('delete from orders');
      await wh.run('checkpoint');
      const t3 = performance.now();
      const c3 = cpu();
      const b = await other.runPipeline(wh, pipeline, { file });
      const base = (performance.now() - t3) / 1000;
      const baseCpu = cpu() - c3;
      if (b.status !== 'succeeded') throw new Error(`orders (baseline): ${b.error}`);
      rows.push({
        scenario: 'ingest-orders',
        step: `orders: baseline crm load (${baseline}; CPU ${baseCpu.toFixed(1)} s = ${(baseCpu / bareCpu).toFixed(2)}×)`,
        seconds: base,
        rows: b.rowsRead,
        result: `${(base / bare).toFixed(2)}× bare`,
      });
      const [bl] = await wh.all<{ n: number; h: string }>(`select count(*) as n, sum(hash(${cols}))::varchar as h from orders`);
      const [bq] = await wh.all<{ n: number; h: string }>(
        'select count(*) as n, sum(hash(source_file, row_number, field, reason, raw_row::varchar))::varchar as h from quarantine where run_id = $run',
        { run: b.runId },
      );
      rows.push({ scenario: 'ingest-orders', step: `fingerprint (baseline): orders ${bl.n} rows, hash ${bl.h}; quarantine ${bq.n} rows, hash ${bq.h}`, seconds: null });
    }
  } finally {
    await wh.close();
    rmSync(db, { force: true });
    rmSync(`${db}.wal`, { force: true });
  }
  return rows;
}

const scenario: Scenario = { name: 'ingest-orders', description: 'orders file alone: crm load vs a bare read_csv, on a copy of the ingest warehouse', run };
export default scenario;
