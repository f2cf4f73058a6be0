/**
 * Crash-safety harness, shared by test/scheduler/crash.test.ts and scripts/soak.ts.
 *
 * A dataset of two daily partitions (data/<D1>/*.csv, data/<D2>/*.csv: products, customers, orders,
 * order lines; day 2 adds rows and changes some) is loaded by a job whose ingest step reads
 * `${DATA_DIR}/${RUN_DATE}/…`. The base warehouse holds day 1. A child process runs the day-2 job and
 * is SIGKILLed at a chosen point; afterwards the warehouse must equal the reference state after k of
 * the P day-2 loads for some k (each load all-or-nothing, in dependency order), pipeline_runs must
 * say exactly that once recovered, and the next run must reach the reference end state.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { loadPipelineFile, runPipeline } from '../../../src/ingest/index.ts';
import { loadJobsConfig, recoverInterrupted, runJob } from '../../../src/scheduler/index.ts';
import { Warehouse } from '../../../src/warehouse/index.ts';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const childScript = join(repoRoot, 'test/scheduler/crash/child.ts');

export const D1 = '2026-11-21';
export const D2 = '2026-11-22';
/** Loads of a run, in the order the ingest step runs them (dependency order). */
export const PIPELINES = ['products', 'customers', 'orders', 'order-lines'] as const;

export interface Dataset {
  root: string;
  jobsFile: string;
  /** Warehouse with day 1 loaded (copy it before each trial). */
  baseDb: string;
  customers: number;
}

/** Writes the CSVs of both days with DuckDB (deterministic: values are hashes of row numbers and the seed). */
export async function writeDataset(root: string, customers: number, seed = 7): Promise<void> {
  const inst = await DuckDBInstance.create(':memory:', { threads: '1' });
  const c = await inst.connect();
  const h = (expr: string, salt: number) => `(hash(${expr}, ${seed}, ${salt}) % 1000000)::bigint`;
  for (const [day, date] of [[1, D1], [2, D2]] as const) {
    const dir = join(root, 'data', date);
    mkdirSync(dir, { recursive: true });
    const n = day === 1 ? customers : customers + Math.ceil(customers / 20);
    const q = (s: string) => s.replaceAll("'", "''");
    await c.run(`copy (
      select 'SKU' || lpad(i::varchar, 4, '0') as sku, 'Product ' || i as title,
        round(5 + ${h('i', 1)} % 20000 / 100.0 + case when ${day} = 2 and ${h('i', 2)} % 20 = 0 then 1.5 else 0 end, 2) as price
      from range(1, 201) t(i) order by i) to '${q(join(dir, 'products.csv'))}' (header)`);
    await c.run(`copy (
      select 'C' || i as id, 'user' || i || '@example.com' as email,
        (['DE','US','FR','GB','ES','IT'])[1 + ((${h('i', 3)} + case when ${day} = 2 and ${h('i', 4)} % 10 = 0 then 1 else 0 end) % 6)] as country,
        strftime(timestamp '2025-01-01' + to_minutes(${h('i', 5)} % 400000), '%Y-%m-%dT%H:%M:%SZ') as created,
        -- day 2 touches new and changed customers only; the pipeline loads incrementally on updated_at
        strftime(case when ${day} = 2 and (i > ${customers} or ${h('i', 4)} % 10 = 0) then timestamp '${D2}' + to_seconds(${h('i', 17)} % 86400)
                      else timestamp '2025-01-01' + to_minutes(${h('i', 5)} % 400000) end, '%Y-%m-%dT%H:%M:%SZ') as updated
      from range(1, ${n + 1}) t(i) order by i) to '${q(join(dir, 'customers.csv'))}' (header)`);
    // Day 1: the history (0-6 orders per customer). Day 2: a day of new orders, plus 2% of day-1 orders returned.
    const orders =
      day === 1
        ? `select 'O' || i || '-' || k as id, 'C' || i as customer, timestamp '${D1}' - to_minutes(1 + ${h('i * 10 + k', 6)} % 500000) as ts, 'completed' as status,
             round(10 + ${h('i * 10 + k', 7)} % 30000 / 100.0, 2) as total
           from range(1, ${customers + 1}) t(i), range(0, 7) u(k) where k < ${h('i', 8)} % 7`
        : `select 'N' || j as id, 'C' || (1 + ${h('j', 9)} % ${n}) as customer, timestamp '${D2}' + to_seconds(${h('j', 10)} % 86400) as ts, 'completed' as status,
             round(10 + ${h('j', 11)} % 30000 / 100.0, 2) as total
           from range(1, ${Math.ceil(customers / 2) + 1}) t(j)
           union all
           select 'O' || i || '-' || k, 'C' || i, timestamp '${D1}' - to_minutes(1 + ${h('i * 10 + k', 6)} % 500000), 'returned',
             round(10 + ${h('i * 10 + k', 7)} % 30000 / 100.0, 2)
           from range(1, ${customers + 1}) t(i), range(0, 7) u(k) where k < ${h('i', 8)} % 7 and ${h('i * 10 + k', 12)} % 50 = 0`;
    await c.run(`create or replace table o as ${orders}`);
    await c.run(`copy (select id, customer, strftime(ts, '%Y-%m-%dT%H:%M:%SZ') as created, status, total from o order by id) to '${q(join(dir, 'orders.csv'))}' (header)`);
    await c.run(`copy (
      select id as order_id, l as line, 'SKU' || lpad((1 + ${h("id || '-' || l", 13)} % 200)::varchar, 4, '0') as sku,
        1 + ${h("id || '-' || l", 14)} % 3 as qty, round(5 + ${h("id || '-' || l", 15)} % 10000 / 100.0, 2) as price
      from o, range(1, 4) u(l) where status = 'completed' and l <= 1 + ${h('id', 16)} % 3 order by id, l) to '${q(join(dir, 'order_lines.csv'))}' (header)`);
  }
  c.closeSync();
  inst.closeSync();
}

function writePipelines(root: string): void {
  const dir = join(root, 'pipelines');
  mkdirSync(dir, { recursive: true });
  const src = (f: string) => ({ type: 'csv', path: `\${DATA_DIR}/\${RUN_DATE}/${f}.csv` });
  const files: Record<string, object> = {
    products: { name: 'products', source: src('products'), entity: 'products', mapping: { product_id: 'sku', name: 'title', list_price: 'price' } },
    customers: {
      name: 'customers',
      system: 'shop',
      source: src('customers'),
      entity: 'customers',
      mapping: { customer_id: 'id', email: 'email', country: 'country', created_at: 'created', updated_at: 'updated' },
      incremental: { field: 'updated_at' },
    },
    orders: {
      name: 'orders',
      system: 'shop',
      source: src('orders'),
      entity: 'orders',
      mapping: { order_id: 'id', customer_id: 'customer', ordered_at: 'created', status: 'status', total_amount: 'total' },
    },
    'order-lines': {
      name: 'order-lines',
      system: 'shop',
      source: src('order_lines'),
      entity: 'order_lines',
      mapping: { order_id: 'order_id', line_no: 'line', product_id: 'sku', quantity: 'qty', unit_price: 'price', line_amount: { from: 'price' } },
    },
  };
  for (const [name, p] of Object.entries(files)) writeFileSync(join(dir, `${name}.json`), JSON.stringify(p, null, 2));
}

function writeJobs(root: string): string {
  const file = join(root, 'jobs.json');
  writeFileSync(
    file,
    JSON.stringify(
      {
        defaults: { retries: 0, timeout: '30m' },
        jobs: {
          nightly: {
            cron: '0 2 * * *',
            env: { DATA_DIR: join(root, 'data') },
            steps: [{ name: 'ingest', type: 'ingest', pipelines: join(root, 'pipelines') }],
          },
        },
      },
      null,
      2,
    ),
  );
  return file;
}

/** Dataset, pipelines, jobs file and a base warehouse with day 1 loaded. */
export async function prepare(root: string, customers: number, seed = 7): Promise<Dataset> {
  mkdirSync(root, { recursive: true });
  await writeDataset(root, customers, seed);
  writePipelines(root);
  const jobsFile = writeJobs(root);
  const baseDb = join(root, 'base.duckdb');
  const wh = await Warehouse.open(baseDb);
  try {
    const r = await runJob(wh, loadJobsConfig(jobsFile), 'nightly', { trigger: 'manual', runDate: D1 });
    if (r.status !== 'succeeded') throw new Error(`day 1 load failed: ${r.error}`);
  } finally {
    await wh.close();
  }
  return { root, jobsFile, baseDb, customers };
}

/** A fresh copy of the base warehouse (day 1) at `path`. */
export function restoreBase(ds: Dataset, path: string): void {
  for (const f of [path, `${path}.wal`, `${path}.lock`]) rmSync(f, { force: true });
  copyFileSync(ds.baseDb, path);
  if (existsSync(`${ds.baseDb}.wal`)) copyFileSync(`${ds.baseDb}.wal`, `${path}.wal`);
}

/** Tables a load writes, with the columns that legitimately differ between equal states (run ids, load times). */
const TABLES: Record<string, string[]> = {
  products: ['_run_id', '_loaded_at'],
  customers: ['_run_id', '_loaded_at'],
  customer_sources: ['first_seen_run_id', 'linked_at'],
  orders: ['_run_id', '_loaded_at'],
  order_lines: ['_run_id', '_loaded_at'],
  pipeline_state: ['updated_at'],
};

export interface Fingerprint {
  tables: Record<string, { rows: number; checksum: string }>;
  dataVersion: number;
}

/** Row count and an order-independent checksum of every row (minus run ids and load times) of each table. */
export async function fingerprint(wh: Warehouse): Promise<Fingerprint> {
  const tables: Fingerprint['tables'] = {};
  for (const [t, skip] of Object.entries(TABLES)) {
    const [r] = await wh.all<{ rows: number; checksum: string }>(
      `select count(*) as rows, coalesce(sum(hash(r)), 0)::varchar as checksum from (select columns(* exclude (${skip.join(', ')})) from ${t}) r`,
    );
    tables[t] = r;
  }
  return { tables, dataVersion: await wh.dataVersion() };
}

export const sameState = (a: Fingerprint, b: Fingerprint) => Object.keys(TABLES).every((t) => a.tables[t].rows === b.tables[t].rows && a.tables[t].checksum === b.tables[t].checksum);

/**
 * Reference states of the day-2 job: stages[k] = the warehouse after the first k day-2 loads
 * (stages[0] = day 1, stages[P] = the complete day 2). Built by loading one pipeline at a time.
 */
export async function referenceStages(ds: Dataset): Promise<Fingerprint[]> {
  const path = join(ds.root, 'reference.duckdb');
  restoreBase(ds, path);
  const wh = await Warehouse.open(path);
  try {
    const stages = [await fingerprint(wh)];
    for (const name of PIPELINES) {
      const file = join(ds.root, 'pipelines', `${name}.json`);
      const r = await runPipeline(wh, loadPipelineFile(file, { ...process.env, DATA_DIR: join(ds.root, 'data'), RUN_DATE: D2 }), { file });
      if (r.status !== 'succeeded') throw new Error(`reference load ${name} failed: ${r.error}`);
      stages.push(await fingerprint(wh));
    }
    return stages;
  } finally {
    await wh.close();
    rmSync(path, { force: true });
    rmSync(`${path}.wal`, { force: true });
  }
}

export interface ChildRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  events: string[];
  killedAt: string | null;
  /** From job:start to the child's exit. */
  ms: number;
  /** From job:start to job:done (the job's own duration), when it got there. */
  jobMs: number | null;
  /** Each event with its ms after job:start. */
  times: [string, number][];
}

/**
 * Where to kill the child: an event name (the child SIGKILLs itself on reaching it), ms after the job
 * started, or ms after a given event (the parent SIGKILLs it then), or null for no kill.
 */
export type KillAt = string | number | { after: string; ms: number } | null;

/** Runs the day-2 job in a child process, killed at `killAt`. */
export function runChild(ds: Dataset, db: string, killAt: KillAt, runDate = D2): Promise<ChildRun> {
  return new Promise((resolvePromise, reject) => {
    const env = { ...process.env, CRM_DB: db, CRM_JOBS: ds.jobsFile, CRM_RUN_DATE: runDate, CRM_TEST_KILL_AT: typeof killAt === 'string' ? killAt : '' };
    const child = spawn(process.execPath, ['--import', 'tsx', childScript], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const events: string[] = [];
    const times: [string, number][] = [];
    let started = 0;
    let doneAt = 0;
    let buf = '';
    let stderr = '';
    let timer: NodeJS.Timeout | undefined;
    child.stdout.on('data', (chunk: Buffer) => {
      buf += chunk.toString();
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (!line.startsWith('EVENT ')) continue;
        const ev = line.slice(6);
        events.push(ev);
        times.push([ev, started ? Date.now() - started : 0]);
        if (killAt && typeof killAt === 'object' && ev === killAt.after && !timer) timer = setTimeout(() => child.kill('SIGKILL'), killAt.ms);
        if (ev === 'job:done') doneAt = Date.now();
        if (ev === 'job:start') {
          started = Date.now();
          if (typeof killAt === 'number') timer = setTimeout(() => child.kill('SIGKILL'), killAt);
        }
      }
    });
    child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      if (code !== 0 && signal !== 'SIGKILL') return reject(new Error(`child exited with ${code}: ${stderr}`));
      resolvePromise({ code, signal, events, killedAt: signal === 'SIGKILL' ? (events.at(-1) ?? 'before job:start') : null, ms: started ? Date.now() - started : 0, jobMs: doneAt ? doneAt - started : null, times });
    });
  });
}

export interface TrialResult {
  killPoint: string;
  killed: boolean;
  /** Loads of day 2 committed before the kill (the matching reference stage), or -1 when no stage matches. */
  stage: number;
  consistent: boolean;
  problems: string[];
  rowsLost: number;
  completed: boolean;
}

/**
 * One trial: restore day 1, run day 2 in a child killed at `killAt`, check the state, then run the
 * job again in this process (which recovers the stale lock and the interrupted runs) and check it
 * reaches the complete day-2 state.
 */
export async function trial(ds: Dataset, stages: Fingerprint[], db: string, killAt: Exclude<KillAt, null>): Promise<TrialResult> {
  restoreBase(ds, db);
  const child = await runChild(ds, db, killAt);
  const problems: string[] = [];
  const res: TrialResult = { killPoint:
      typeof killAt === 'string' ? killAt : `${typeof killAt === 'number' ? '' : `${killAt.after} `}+${typeof killAt === 'number' ? killAt : killAt.ms}ms (${child.killedAt ?? 'finished'})`, killed: child.signal === 'SIGKILL', stage: -1, consistent: false, problems, rowsLost: 0, completed: false };
  const wh = await Warehouse.open(db);
  try {
    const fp = await fingerprint(wh);
    res.stage = stages.findIndex((s) => sameState(s, fp));
    if (res.stage < 0) problems.push(`state matches no reference stage: ${JSON.stringify(fp.tables)}`);
    else if (fp.dataVersion !== stages[0].dataVersion + res.stage) problems.push(`data_version ${fp.dataVersion}, expected ${stages[0].dataVersion + res.stage}`);
    // Recovery as the next writer does it; then the run log must tell the same story as the data.
    await recoverInterrupted(wh);
    const runs = await wh.all<{ status: string; n: number }>(
      `select status, count(*) as n from pipeline_runs where started_at > (select max(finished_at) from job_runs where run_date = '${D1}' and status = 'succeeded') group by status`,
    );
    const count = (s: string) => runs.find((r) => r.status === s)?.n ?? 0;
    if (count('running')) problems.push(`${count('running')} pipeline runs still 'running' after recovery`);
    if (res.stage >= 0 && count('succeeded') !== res.stage) problems.push(`${count('succeeded')} day-2 loads recorded succeeded, but the data shows ${res.stage}`);
    const [jobs] = await wh.all<{ running: number }>("select count(*) filter (status = 'running') as running from job_runs");
    if (jobs.running) problems.push(`${jobs.running} job runs still 'running' after recovery`);
  } finally {
    await wh.close();
  }
  // The next run completes it.
  const wh2 = await Warehouse.open(db);
  try {
    const r = await runJob(wh2, loadJobsConfig(ds.jobsFile), 'nightly', { trigger: 'manual', runDate: D2 });
    if (r.status !== 'succeeded') problems.push(`the next run ${r.status}: ${r.error}`);
    const fp = await fingerprint(wh2);
    const end = stages.at(-1)!;
    for (const [t, v] of Object.entries(end.tables)) res.rowsLost += Math.max(0, v.rows - fp.tables[t].rows);
    res.completed = sameState(end, fp);
    if (!res.completed) problems.push(`after the next run the state differs from the complete day 2: ${JSON.stringify(fp.tables)}`);
    const [interrupted] = await wh2.all<{ n: number }>("select count(*) as n from job_runs where status = 'interrupted'");
    if (res.killed && child.killedAt !== 'job:done' && interrupted.n === 0 && child.events.includes('job:start')) problems.push('the killed job run was not marked interrupted');
  } finally {
    await wh2.close();
  }
  res.consistent = problems.length === 0;
  return res;
}

/** The named kill points of a day-2 run, in the order the child reaches them. */
export function namedKillPoints(): string[] {
  const out = ['job:start', 'step:start'];
  for (const p of PIPELINES) for (const phase of ['start', 'read', 'validate', 'merge', 'test', 'done']) out.push(`pipeline:${p}:${phase}`);
  out.push('step:done', 'job:done');
  return out;
}
