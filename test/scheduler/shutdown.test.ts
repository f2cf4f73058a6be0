import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, describe, expect, it } from 'vitest';
import { lockPathFor } from '../../src/scheduler/index.ts';
import { Warehouse } from '../../src/warehouse/index.ts';
import { tempDir } from '../helpers.ts';

// `crm schedule` as ops run it, in a child process, stopped with SIGTERM while a step runs.
const t = tempDir();
afterAll(() => t.cleanup());
const crm = join(import.meta.dirname, '../../bin/crm.js');

/** Seeds an interrupted run of `nightly`, so the scheduler resumes it at once on start (no waiting for cron). */
async function seedInterrupted(db: string) {
  const wh = await Warehouse.open(db);
  await wh.run(
    `insert into job_runs (job, trigger, run_date, status, steps_total, pid, host, started_at)
     values ('nightly', 'schedule', '2026-11-22', 'interrupted', 2, 1, 'old', '2026-11-23T02:00:00Z')`,
  );
  await wh.close();
}

interface Started {
  logs: Record<string, unknown>[];
  exit: Promise<{ code: number | null; signal: string | null; ms: number }>;
  waitFor: (pred: (e: Record<string, unknown>) => boolean) => Promise<void>;
  kill: (s: NodeJS.Signals) => void;
}

function schedule(db: string, jobs: string): Started {
  const child = spawn(process.execPath, [crm, 'schedule', '--config', jobs], { env: { ...process.env, CRM_DB: db }, stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: Record<string, unknown>[] = [];
  const waiters: { pred: (e: Record<string, unknown>) => boolean; resolve: () => void }[] = [];
  let buf = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => {
    buf += c.toString();
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const e = JSON.parse(buf.slice(0, i)) as Record<string, unknown>;
      buf = buf.slice(i + 1);
      logs.push(e);
      for (const w of waiters.filter((x) => x.pred(e))) w.resolve();
    }
  });
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const started = Date.now();
  let signalled = 0;
  const exit = new Promise<{ code: number | null; signal: string | null; ms: number }>((resolve) =>
    child.on('close', (code, signal) => {
      if (code !== 0) process.stderr.write(stderr);
      resolve({ code, signal, ms: Date.now() - (signalled || started) });
    }),
  );
  return {
    logs,
    exit,
    waitFor: (pred) => (logs.some(pred) ? Promise.resolve() : new Promise((resolve) => waiters.push({ pred, resolve }))),
    kill: (s) => {
      signalled = Date.now();
      child.kill(s);
    },
  };
}

describe('SIGTERM during a step', () => {
  it('lets the running step finish, runs no further step, releases the lock and exits 0', async () => {
    const db = join(t.dir, 'a.duckdb');
    await seedInterrupted(db);
    const jobs = join(t.dir, 'a-jobs.json');
    writeFileSync(
      jobs,
      JSON.stringify({
        jobs: {
          nightly: {
            cron: '0 2 * * *',
            steps: [
              { name: 'wait', type: 'exec', command: ['sleep', '1.5'] },
              { name: 'after', type: 'exec', command: ['echo', 'should not run'] },
            ],
          },
        },
      }),
    );
    const s = schedule(db, jobs);
    await s.waitFor((e) => e.msg === 'step started' && e.step === 'wait');
    s.kill('SIGTERM');
    const exit = await s.exit;
    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(s.logs.map((e) => e.msg)).toEqual(expect.arrayContaining(['scheduler stopping', 'step succeeded', 'job run cancelled', 'scheduler stopped']));
    expect(existsSync(lockPathFor(db))).toBe(false);
    const wh = await Warehouse.open(db);
    try {
      expect(await wh.all('select job_run_id, trigger, status, reason from job_runs order by job_run_id')).toEqual([
        { job_run_id: 1, trigger: 'schedule', status: 'interrupted', reason: null },
        { job_run_id: 2, trigger: 'resume', status: 'cancelled', reason: 'shutdown requested before step after; 1 steps not run' },
      ]);
      expect(await wh.all('select step, status from job_step_runs order by step_index')).toEqual([{ step: 'wait', status: 'succeeded' }]);
    } finally {
      await wh.close();
    }
  }, 60_000);

  it('rolls the load back when the grace period ends first; the next run loads everything', async () => {
    const db = join(t.dir, 'b.duckdb');
    const dir = join(t.dir, 'b');
    mkdirSync(join(dir, 'p'), { recursive: true });
    const inst = await DuckDBInstance.create(':memory:');
    const c = await inst.connect();
    await c.run(
      `copy (select 'O' || i as id, 'C' || (i % 5000) as customer, '2026-11-01T10:00:00Z' as at, 'completed' as status, (i % 1000) / 10.0 as total from range(600000) t(i))
       to '${join(dir, 'orders.csv')}' (header)`,
    );
    c.closeSync();
    inst.closeSync();
    writeFileSync(
      join(dir, 'p', 'orders.json'),
      JSON.stringify({
        system: 'shop',
        source: { type: 'csv', path: join(dir, 'orders.csv') },
        entity: 'orders',
        identity: { createMissing: true },
        mapping: { order_id: 'id', customer_id: 'customer', ordered_at: 'at', status: 'status', total_amount: 'total' },
      }),
    );
    await seedInterrupted(db);
    const jobs = join(t.dir, 'b-jobs.json');
    writeFileSync(jobs, JSON.stringify({ shutdownGrace: '300ms', jobs: { nightly: { cron: '0 2 * * *', steps: [{ name: 'load', type: 'ingest', pipelines: join(dir, 'p') }] } } }));
    const s = schedule(db, jobs);
    await s.waitFor((e) => e.msg === 'step started' && e.step === 'load');
    s.kill('SIGTERM');
    const exit = await s.exit;
    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(exit.ms).toBeLessThan(20_000);
    expect(s.logs.map((e) => e.msg)).toContain('grace period over: rolling back the running step');
    const wh = await Warehouse.open(db);
    try {
      // DuckDB's interrupt when a statement was running, else the abort seen at the load's next phase.
      expect(await wh.all("select status, (error like '%nterrupt%' or error like 'rolled back: the shutdown grace period%') as rolled_back from pipeline_runs")).toEqual([
        { status: 'failed', rolled_back: true },
      ]);
      expect(await wh.all('select count(*) as n from orders')).toEqual([{ n: 0 }]);
      expect(await wh.all('select count(*) as n from customers')).toEqual([{ n: 0 }]);
      expect(await wh.all("select status from job_runs where trigger = 'resume'")).toEqual([{ status: 'cancelled' }]);
      expect(await wh.all("select status, error from job_step_runs")).toEqual([{ status: 'cancelled', error: 'rolled back: the shutdown grace period ended before the step finished' }]);
    } finally {
      await wh.close();
    }
    const next = spawnSync(process.execPath, [crm, 'run-job', 'nightly', '--config', jobs, '--quiet', '--date', '2026-11-22'], { env: { ...process.env, CRM_DB: db }, encoding: 'utf8' });
    expect(next.status, next.stderr).toBe(0);
    expect(next.stdout).toMatch(/job nightly run 3 \(run date 2026-11-22\): succeeded in /);
    const wh2 = await Warehouse.open(db);
    try {
      expect(await wh2.all('select count(*) as n, sum(total_amount) as total from orders')).toEqual([{ n: 600_000, total: 29_970_000 }]);
    } finally {
      await wh2.close();
    }
  }, 120_000);
});
