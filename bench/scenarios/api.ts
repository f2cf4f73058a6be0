/**
 * Scenario `api`: the /api/v1 routes under load with authentication on, over `--customers` customers
 * (default 1M) built with SQL (4 regions, 1 % of them with 5 orders). `crm user add` and `crm token create`
 * make an admin and a row-restricted, masked analyst; `crm serve` runs in its own process (auth required);
 * autocannon drives 10 connections for 10 s per route from this process (CRM_BENCH_API_CONNECTIONS, _SECONDS). Target: the token check costs
 * under 1 ms per request, a masked, row-ruled search page answers within 1 s at p99.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import type { BenchOptions, BenchRow, Scenario } from '../run.ts';
import { Warehouse } from '../../src/warehouse/index.ts';

/** The slice of autocannon's API used here (the package ships no types). */
interface Result {
  errors: number;
  non2xx: number;
  requests: { average: number; total: number };
  latency: { p50: number; p99: number };
}
const autocannon = createRequire(import.meta.url)('autocannon') as (o: { url: string; connections: number; duration: number; headers: Record<string, string> }) => Promise<Result>;

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

function crm(args: string[], db: string): string {
  return execFileSync(process.execPath, [join(root, 'bin', 'crm.js'), ...args], { cwd: root, env: { ...process.env, CRM_DB: db }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
}

async function build(db: string, total: number): Promise<void> {
  const wh = await Warehouse.open(db, { threads: 2 });
  try {
    await wh.run(`
      insert into customers (customer_id, first_name, last_name, email, email_norm, phone, phone_norm, country, region, owner_id, lifecycle_stage, acquired_at)
      select i, (['Ada', 'Bo', 'Cy', 'Di'])[1 + i % 4], (['Smith', 'Müller', 'Dupont', 'García'])[1 + i % 4],
        'user' || i || '@example.com', 'user' || i || '@example.com', '+49 30 ' || lpad(cast(i as varchar), 8, '0'), lpad(cast(i as varchar), 10, '0'),
        (['DE', 'FR', 'US', 'JP'])[1 + i % 4], (['EMEA', 'EMEA', 'AMER', 'APAC'])[1 + i % 4], 'E' || (i % 50), 'customer',
        timestamptz '2020-01-01 00:00:00+00' + to_seconds(i * 150)
      from range(1, ${total + 1}) t(i)`);
    await wh.run(`
      insert into orders (order_id, customer_id, ordered_at, status, total_amount)
      select 'o' || i || '-' || k, i, timestamptz '2025-01-01 00:00:00+00' + to_days(cast(k * 30 as integer)), 'completed', 10 * k
      from range(1, ${total + 1}, 100) t(i), range(1, 6) s(k)`);
  } finally {
    await wh.close();
  }
}

// CRM_BENCH_API_CONNECTIONS=1 CRM_BENCH_API_SECONDS=5 gives a light, single-client latency probe.
const CONNECTIONS = Number(process.env.CRM_BENCH_API_CONNECTIONS ?? 10);
const SECONDS = Number(process.env.CRM_BENCH_API_SECONDS ?? 10);

async function load(url: string, token: string, path: string) {
  return autocannon({ url: `${url}${path}`, connections: CONNECTIONS, duration: SECONDS, headers: { authorization: `Bearer ${token}` } });
}

const scenario: Scenario = {
  name: 'api',
  description: '/api/v1 with auth required: token check, customer search (admin; masked + row-ruled analyst), customer card with its audit write',
  async run(opts: BenchOptions): Promise<BenchRow[]> {
    const dir = join(opts.workDir, `api-${opts.customers}`);
    const db = join(dir, 'crm.duckdb');
    const rows: BenchRow[] = [];
    if (!existsSync(db)) {
      mkdirSync(dir, { recursive: true });
      const t = performance.now();
      await build(db, opts.customers);
      rows.push({ scenario: 'api', step: 'setup: customers and orders with SQL', seconds: (performance.now() - t) / 1000, rows: opts.customers });
      crm(['user', 'add', 'bench-admin', '--role', 'admin'], db);
      crm(['user', 'add', 'bench-emea', '--role', 'analyst', '--region', 'EMEA'], db);
    }
    const admin = crm(['token', 'create', '--user', 'bench-admin', '--days', '1'], db);
    const analyst = crm(['token', 'create', '--user', 'bench-emea', '--days', '1'], db);
    const port = 38000 + (process.pid % 1000);
    // The server as `crm serve` runs it (auth required), in its own process, without the per-token rate
    // limit (20/s) that would otherwise be what this measures.
    const script = `
      import { Warehouse } from './src/warehouse/index.ts';
      import { startServer } from './src/server/index.ts';
      const wh = await Warehouse.open(process.env.CRM_DB, { threads: 2 });
      await startServer({ warehouse: wh, port: ${port}, host: '127.0.0.1', auth: 'required', access: { rateLimit: false } });
      console.log('serving');`;
    const server = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, env: { ...process.env, CRM_DB: db }, stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve, reject) => {
        server.stdout!.on('data', (d: Buffer) => String(d).includes('serving') && resolve());
        server.once('exit', (c) => reject(new Error(`server exited with ${c}`)));
      });
      const url = `http://127.0.0.1:${port}`;
      const mid = Math.floor(opts.customers / 2);
      const cases: [string, string, string][] = [
        ['GET /api/v1/me (token check only)', admin, '/api/v1/me'],
        ['GET /health (no auth)', admin, '/health'],
        ['GET /api/v1/customers?limit=50 (admin)', admin, '/api/v1/customers?limit=50'],
        ['GET /api/v1/customers?limit=50 (analyst: EMEA rule, masked)', analyst, '/api/v1/customers?limit=50'],
        ['GET /api/v1/customers?q=<id> (analyst)', analyst, `/api/v1/customers?q=${mid - (mid % 4)}`],
        ['GET /api/v1/customers/:id (card + audit row, admin)', admin, `/api/v1/customers/${mid - (mid % 100) + 1}`],
      ];
      for (const [label, token, path] of cases) {
        const r = await load(url, token, path);
        const bad = r.non2xx + r.errors;
        rows.push({
          scenario: 'api',
          step: label,
          seconds: r.latency.p99 / 1000,
          rows: r.requests.total,
          target: path.startsWith('/api/v1/me') ? 'token check < 1 ms' : 'p99 < 1 s',
          result: `${CONNECTIONS} conn: ${Math.round(r.requests.average)} req/s, p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms${bad ? `, ${bad} non-2xx/errors` : ''}`,
        });
      }
    } finally {
      server.kill('SIGTERM');
      await new Promise((r) => server.once('exit', r));
    }
    return rows;
  },
};

export default scenario;
