/**
 * Profiling aid for the orders load (issue 2's benchmark): on a copy of the ingest scenario's
 * warehouse without its orders, runs the orders pipeline with DuckDB's EXPLAIN ANALYZE on the
 * statements whose SQL matches CRM_PROFILE (a regular expression), printing each profile to stderr.
 * Usage: CRM_PROFILE='^insert into "orders"' node --import tsx bench/profile-ingest-orders.ts
 */
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { findPipelineFiles, loadPipelineFile, runPipeline } from '../src/ingest/index.ts';
import { ConnectionQueries, Warehouse } from '../src/warehouse/index.ts';

const dir = 'data/bench/ingest-1000000';
const tmp = process.env.CRM_BENCH_TMP ?? '/tmp/crm-bench-ingest-orders';
mkdirSync(tmp, { recursive: true });
const db = join(tmp, 'profile.duckdb');
copyFileSync(join(dir, 'crm.duckdb'), db);
const env = { ...process.env, CRM_DEMO_DIR: join(dir, 'export') };
const file = findPipelineFiles('pipelines/demo').find((f) => loadPipelineFile(f, env).name === 'orders')!;
const pattern = new RegExp(process.env.CRM_PROFILE ?? '^$');
const proto = ConnectionQueries.prototype;
const { run, all } = proto;
const profile = async (q: ConnectionQueries, sql: string, params?: never) => {
  const t = performance.now();
  const rows = await all.call(q, `explain analyze ${sql}`, params) as { explain_value: string }[];
  // Long constants (bit filters) make unreadable plans: keep operator names, row counts and times.
  const plan = rows.map((r) => r.explain_value).join('\n').split('\n').filter((l) => l.length < 400);
  console.error(`--- ${((performance.now() - t) / 1000).toFixed(2)} s: ${sql.replace(/\s+/g, ' ').slice(0, 120)}\n${plan.join('\n')}`);
};
proto.run = async function (this: ConnectionQueries, sql: string, params?: never) {
  if (!pattern.test(sql.trim())) return run.call(this, sql, params);
  await profile(this, sql, params);
  return run.call(this, sql, params);
};
proto.all = async function <T>(this: ConnectionQueries, sql: string, params?: never): Promise<T[]> {
  if (pattern.test(sql.trim())) await profile(this, sql, params);
  return all.call(this, sql, params) as Promise<T[]>;
};
const wh = await Warehouse.open(db);
try {
  await wh.run('delete from orders');
  await wh.run("delete from quarantine where pipeline = 'orders'");
  await wh.run('checkpoint');
  const r = await runPipeline(wh, loadPipelineFile(file, env), { file });
  console.error(r.status, r.error ?? '');
} finally {
  await wh.close();
  rmSync(db, { force: true });
  rmSync(`${db}.wal`, { force: true });
}
