/**
 * Scenario `dashboards`: the panel data API on the demo warehouse of `--customers` customers
 * (default 1M), 50 concurrent clients with autocannon against the running server (in this process).
 * Targets: p95 ≤ 50 ms warm; p95 ≤ 100 ms while a load runs.
 *
 * Builds the warehouse once per size under data/bench/dashboards-<N>/ (crm generate, crm ingest --all,
 * crm models run) and reuses it. Then:
 *   cold   — every panel of every dashboard once, sequentially, on an empty cache (the worst first view);
 *   warm   — 50 clients for 20 s cycling through every panel with the default filters and with a region,
 *            a rep and a quarterly granularity (the cache is filled first, as it is for a team of users);
 *   load   — the same while the orders pipeline re-runs in the server process (a load runs where the
 *            warehouse is open); measurement stops at its commit;
 *   after  — the commit changed the version; the server's background refresh computes the viewed panels
 *            again (its poll waits 10 s for the change to settle), then 10 s of clients (no target; it
 *            shows what the first users after a nightly load get).
 * p95 is computed from every response time (autocannon's own summary has no p95).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import type { BenchOptions, BenchRow, Scenario } from '../run.ts';
import { runPipelineFile } from '../../src/ingest/index.ts';
import { DashboardService } from '../../src/publish/dashboards/index.ts';
import { startServer } from '../../src/server/index.ts';
import { Warehouse } from '../../src/warehouse/index.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The slice of autocannon's API used here (the package ships no types). */
interface AutocannonInstance extends PromiseLike<{ errors: number; timeouts: number; non2xx: number; requests: { average: number } }> {
  on(event: 'response', fn: (client: unknown, status: number, bytes: number, ms: number) => void): void;
  stop(): void;
}
type Autocannon = (o: { url: string; connections: number; duration: number; timeout: number; requests: { method: string; path: string }[]; headers: Record<string, string> }) => AutocannonInstance;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;
const CLIENTS = 50;
/** autocannon's default request timeout. */
const TIMEOUT_MS = 10_000;

function crm(args: string[], env: Record<string, string>): void {
  execFileSync(process.execPath, [join(root, 'bin', 'crm.js'), ...args], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
}

const say = (line: string) => process.stderr.write(`dashboards: ${line}\n`);
const ms = (v: number) => `${v.toFixed(1)} ms`;
const rss = () => Math.round(process.memoryUsage().rss / 2 ** 20);

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

interface Hammer {
  requests: number;
  /** autocannon's errors, timeouts included. */
  errors: number;
  timeouts: number;
  non2xx: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  rps: number;
}

/** autocannon with CLIENTS connections over `paths` for `seconds` (or until `until` resolves). */
async function hammer(url: string, paths: string[], seconds: number, until?: Promise<unknown>): Promise<Hammer> {
  const times: number[] = [];
  const instance = autocannon({
    url,
    connections: CLIENTS,
    duration: seconds,
    timeout: TIMEOUT_MS / 1000,
    requests: paths.map((path) => ({ method: 'GET', path })),
    headers: { accept: 'application/json' },
  });
  instance.on('response', (_client, _status, _bytes, ms) => times.push(ms));
  if (until) void until.then(() => {
    say('load finished; stopping the clients');
    instance.stop();
  });
  const result = await instance;
  // A timed-out request has no response event: count it at the timeout (10 s) so the percentiles include it.
  for (let i = 0; i < result.timeouts; i++) times.push(TIMEOUT_MS);
  times.sort((a, b) => a - b);
  return {
    requests: times.length,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    p50: percentile(times, 50),
    p95: percentile(times, 95),
    p99: percentile(times, 99),
    max: times[times.length - 1] ?? NaN,
    rps: result.requests.average,
  };
}

/**
 * The server runs in its own process, as in production, so that autocannon's clients do not share its
 * event loop. It owns the warehouse; a line "load" on its stdin re-runs the orders pipeline inside it
 * (a load runs where the warehouse is open) and it answers "loaded <status> <seconds>".
 */
async function serveChild(db: string, exportDir: string): Promise<{ url: string; child: ChildProcess; command(line: string): Promise<string> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--serve', db], {
    cwd: root,
    env: { ...process.env, CRM_DEMO_DIR: exportDir },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  const waiting: ((line: string) => void)[] = [];
  lines.on('line', (l) => waiting.shift()?.(l));
  const next = () => new Promise<string>((resolve) => waiting.push(resolve));
  const url = await next();
  return {
    url,
    child,
    command: (line) => {
      const answer = next();
      child.stdin!.write(`${line}\n`);
      return answer;
    },
  };
}

/** Child side of serveChild. */
async function serveMain(db: string): Promise<void> {
  const wh = await Warehouse.open(db, { threads: 2 });
  const svc = new DashboardService(wh);
  const server = await startServer({ warehouse: wh, port: 0, dashboards: svc, log: (l) => process.stderr.write(`${l}\n`) });
  svc.startRefresh(); // as startServer does for its own service
  process.stdout.write(`${server.url}\n`);
  // Commands run one after another; line events (not `for await`, which can end early while a command awaits).
  let queue = Promise.resolve();
  const done = new Promise<void>((resolve) => {
    const rl = createInterface({ input: process.stdin });
    rl.on('line', (line) => {
      queue = queue.then(async () => {
        if (line === 'load') {
          // Event-loop stalls while the load runs in this process: a stalled loop answers nobody, cached or not.
          const t = performance.now();
          const loop = monitorEventLoopDelay({ resolution: 10 });
          loop.enable();
          let last = performance.now();
          const stalls: string[] = [];
          const tick = setInterval(() => {
            const now = performance.now();
            if (now - last > 1000) stalls.push(`${((last - t) / 1000).toFixed(1)}s+${Math.round(now - last)}ms`);
            last = now;
          }, 50);
          const r = await runPipelineFile(wh, join(root, 'pipelines', 'demo', 'orders.json'));
          clearInterval(tick);
          loop.disable();
          process.stderr.write(`dashboards: event-loop stalls over 1 s during the load (start+length): ${stalls.join(', ') || 'none'}\n`);
          process.stdout.write(`loaded ${r.status} ${((performance.now() - t) / 1000).toFixed(2)} ${Math.round(loop.max / 1e6)}\n`);
        } else if (line === 'stats') {
          const st = svc.cacheStats();
          const rf = svc.refreshes;
          process.stdout.write(`${st.entries} ${st.hits} ${st.misses} ${await wh.dataVersion()} ${Math.round(process.memoryUsage().rss / 2 ** 20)} ${rf.rounds} ${rf.lastPanels} ${Math.round(rf.lastMs)}\n`);
        } else if (line === 'quit') {
          rl.close();
          resolve();
        }
      });
    });
    rl.on('close', () => resolve());
  });
  await done;
  await queue;
  svc.stopRefresh();
  await server.close();
  await wh.close();
  process.exit(0);
}

const scenario: Scenario = {
  name: 'dashboards',
  description: `panel data API, ${CLIENTS} concurrent clients (p95 ≤ 50 ms warm, ≤ 100 ms during a load)`,
  async run(opts: BenchOptions): Promise<BenchRow[]> {
    const dir = join(opts.workDir, `dashboards-${opts.customers}`);
    const exportDir = join(dir, 'export');
    const db = join(dir, 'crm.duckdb');
    const rows: BenchRow[] = [];
    const row = (step: string, seconds: number | null, extra: Partial<BenchRow> = {}) => rows.push({ scenario: 'dashboards', step, seconds, peak_rss_mb: rss(), ...extra });
    const ready = join(dir, '.ready');
    if (!existsSync(ready)) {
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      let t = performance.now();
      crm(['generate', '--customers', String(opts.customers), '--seed', '42', '--out', exportDir, '--force'], {});
      row('setup: crm generate', (performance.now() - t) / 1000);
      t = performance.now();
      try {
        crm(['ingest', '--all'], { CRM_DB: db, CRM_DEMO_DIR: exportDir });
        row('setup: crm ingest --all', (performance.now() - t) / 1000);
      } catch {
        row('setup: crm ingest --all (some pipelines failed: see crm runs)', (performance.now() - t) / 1000);
      }
      t = performance.now();
      try {
        crm(['models', 'run'], { CRM_DB: db, CRM_DEMO_DIR: exportDir });
        row('setup: crm models run', (performance.now() - t) / 1000);
      } catch {
        row('setup: crm models run (some models failed; their panels show empty states)', (performance.now() - t) / 1000);
      }
      writeFileSync(ready, new Date().toISOString());
    }

    // facts for the URL list, read before the server takes the file
    const facts = await Warehouse.open(db, { threads: 2, readOnly: true });
    const [{ n: orders }] = await facts.all<{ n: number }>('select count(*) as n from orders');
    const [region] = await facts.all<{ region: string }>('select region from customers where region is not null group by region order by count(*) desc limit 1');
    const [rep] = await facts.all<{ owner_id: string }>('select owner_id from deals where owner_id is not null group by owner_id order by count(*) desc limit 1');
    const dashboards = new DashboardService(facts).dashboards;
    await facts.close();

    say('starting the server process');
    const server = await serveChild(db, exportDir);
    say(`server at ${server.url}`);
    try {
      // Every panel of every dashboard, with the default filters and three common variations.
      const paths: string[] = [];
      for (const d of dashboards) {
        const variants = ['', 'granularity=quarter'];
        if (d.filters.includes('region') && region) variants.push(`region=${encodeURIComponent(region.region)}`);
        if (d.filters.includes('rep') && rep) variants.push(`rep=${encodeURIComponent(rep.owner_id)}`);
        for (const p of [...d.kpis, ...d.panels]) for (const v of variants) paths.push(`/api/dashboards/${d.name}/panels/${p.id}${v ? `?${v}` : ''}`);
      }

      say(`cold pass over ${paths.length} URLs`);
      // cold: each default-filter panel once on an empty cache, one at a time
      const cold: { path: string; ms: number }[] = [];
      for (const path of paths.filter((p) => !p.includes('?'))) {
        const t = performance.now();
        const res = await fetch(`${server.url}${path}`);
        await res.arrayBuffer();
        if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
        cold.push({ path, ms: performance.now() - t });
      }
      cold.sort((a, b) => b.ms - a.ms);
      const coldTotal = cold.reduce((a, c) => a + c.ms, 0) / 1000;
      row(`cold: ${cold.length} panels once each (slowest ${cold[0].path.replace('/api/dashboards/', '')} ${Math.round(cold[0].ms)} ms)`, coldTotal, {
        rows: orders,
        result: `median ${Math.round(cold[Math.floor(cold.length / 2)].ms)} ms`,
      });

      // fill the cache with every variant, then hammer
      say('filling the cache, then 20 s warm');
      for (const path of paths) await (await fetch(`${server.url}${path}`)).arrayBuffer();
      const warm = await hammer(server.url, paths, 20);
      row(`warm: ${CLIENTS} clients × 20 s over ${paths.length} panel URLs`, 20, {
        rows: warm.requests,
        target: 'p95 ≤ 50 ms',
        result: `p50 ${ms(warm.p50)} · p95 ${ms(warm.p95)} · p99 ${ms(warm.p99)} · ${Math.round(warm.rps)} req/s · errors ${warm.errors + warm.non2xx} (${warm.timeouts} timeouts) · ${warm.p95 <= 50 && !warm.errors && !warm.non2xx ? 'PASS' : 'FAIL'}`,
      });

      // during a load: the orders pipeline re-runs (same rows, so the warehouse ends as it started); its commit bumps the version
      say('hammering during a load of the orders pipeline');
      const [, , , versionBefore] = (await server.command('stats')).split(' ');
      const load = server.command('load');
      const during = await hammer(server.url, paths, 600, load);
      say('clients stopped');
      const [, status, loadSeconds, loopMaxMs] = (await load).split(' ');
      const [, , , versionAfter] = (await server.command('stats')).split(' ');
      row(`during load: ${CLIENTS} clients while the orders pipeline runs (${status}, version ${versionBefore}→${versionAfter}; server event loop max delay ${loopMaxMs} ms)`, Number(loadSeconds), {
        rows: during.requests,
        target: 'p95 ≤ 100 ms',
        result: `p50 ${ms(during.p50)} · p95 ${ms(during.p95)} · p99 ${ms(during.p99)} · max ${ms(during.max)} · ${Math.round(during.rps)} req/s · errors ${during.errors + during.non2xx} (${during.timeouts} timeouts) · ${during.p95 <= 100 && !during.errors && !during.non2xx ? 'PASS' : 'FAIL'}`,
      });
      // after the load: the commit changed the version; nobody asks until the server's background refresh has
      // computed the viewed panels again (as after a nightly load), then the clients come back
      say('waiting for the background refresh after the load');
      const committed = performance.now();
      const rounds = Number((await server.command('stats')).split(' ')[5]);
      let stats = (await server.command('stats')).split(' ');
      while (Number(stats[5]) === rounds && performance.now() - committed < 300_000) {
        await new Promise((r) => setTimeout(r, 1000));
        stats = (await server.command('stats')).split(' ');
      }
      const refreshMs = Number(stats[7]);
      row(`background refresh after the load: ${stats[6]} panels, done ${((performance.now() - committed) / 1000).toFixed(1)} s after the commit`, refreshMs / 1000);
      const after = await hammer(server.url, paths, 10);
      row(`after load and refresh: ${CLIENTS} clients for 10 s`, 10, {
        rows: after.requests,
        target: '(none; first views after a load)',
        result: `p50 ${ms(after.p50)} · p95 ${ms(after.p95)} · p99 ${ms(after.p99)} · max ${ms(after.max)} · ${Math.round(after.rps)} req/s · errors ${after.errors + after.non2xx} (${after.timeouts} timeouts)`,
      });
      const [entries, hits, misses, , serverRss] = (await server.command('stats')).split(' ');
      row(`server: cache ${entries} entries, ${hits} hits, ${misses} misses; server RSS ${serverRss} MB`, null);
      const exited = new Promise((resolve) => server.child.once('exit', resolve));
      server.child.stdin!.end('quit\n');
      await exited;
    } finally {
      if (server.child.exitCode === null) server.child.kill('SIGTERM');
    }
    return rows;
  },
};

export default scenario;

if (process.argv[2] === '--serve' && process.argv[1] === fileURLToPath(import.meta.url)) await serveMain(process.argv[3]);
