import { existsSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { jsonLogger, lockPathFor, startScheduler, type JobRunResult, type Notification, type SchedulerHandle } from '../../src/scheduler/index.ts';
import type { Warehouse } from '../../src/warehouse/index.ts';
import { withWarehouse } from '../helpers.ts';
import { behaviours, calls, gate, probeConfig } from './probe.ts';

// node-cron reads the clock with Date and waits with setTimeout: both are faked, DuckDB's I/O is not.
// `tick` advances fake time in small steps and lets real I/O callbacks run in between.
async function tick(ms: number, step = 250) {
  for (let t = 0; t < ms; t += step) {
    await vi.advanceTimersByTimeAsync(Math.min(step, ms - t));
    await new Promise((r) => setImmediate(r));
  }
}
const realSetTimeout = globalThis.setTimeout;
/** Waits (up to 15 s of real time) until `cond` holds, letting I/O progress; fake time stands still. */
async function until<T>(cond: () => Promise<T | undefined | false> | T | undefined | false, what: string): Promise<T> {
  for (let i = 0; i < 1500; i++) {
    const v = await cond();
    if (v) return v;
    await new Promise((r) => realSetTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const runs = (wh: Warehouse) =>
  wh.all<{ job_run_id: number; trigger: string; run_date: string; scheduled_for: string | null; status: string; reason: string | null; resumes_run_id: number | null }>(
    'select job_run_id, trigger, run_date, scheduled_for, status, reason, resumes_run_id from job_runs order by job_run_id',
  );

let handles: SchedulerHandle[] = [];
beforeEach(() => {
  behaviours.clear();
  calls.length = 0;
  handles = [];
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
});
afterEach(async () => {
  for (const h of handles) await h.stop({ graceMs: 0 });
  vi.useRealTimers();
});

describe('scheduler: cron triggers (fake timers)', () => {
  it('fires a 02:00 Europe/Berlin job at 01:00 UTC with the previous day as run date', async () => {
    await withWarehouse(async (wh) => {
      vi.setSystemTime(new Date('2026-11-24T00:59:58.000Z'));
      behaviours.set('load', () => undefined);
      const done: JobRunResult[] = [];
      const lines: string[] = [];
      const h = await startScheduler({
        warehouse: wh,
        config: probeConfig({ nightly: { cron: '0 2 * * *', timezone: 'Europe/Berlin', steps: ['load'] } }),
        logger: jsonLogger((l) => lines.push(l)),
        onRun: (r) => done.push(r),
      });
      handles.push(h);
      expect(h.status().jobs).toEqual([{ job: 'nightly', cron: '0 2 * * *', timezone: 'Europe/Berlin', nextRun: '2026-11-24T01:00:00.000Z', running: null }]);
      expect(existsSync(lockPathFor(wh.path))).toBe(true);
      await tick(1000);
      expect(calls).toHaveLength(0);
      await tick(1500);
      await until(() => done.length === 1, 'the run');
      expect(calls.map((c) => [c.key, c.runDate])).toEqual([['load', '2026-11-23']]);
      expect(await runs(wh)).toEqual([
        { job_run_id: 1, trigger: 'schedule', run_date: '2026-11-23', scheduled_for: '2026-11-24T01:00:00.000Z', status: 'succeeded', reason: null, resumes_run_id: null },
      ]);
      expect(h.status().jobs[0].nextRun).toBe('2026-11-25T01:00:00.000Z');
      // Structured logs: job, run id, step, durations.
      const started = lines.map((l) => JSON.parse(l)).find((e) => e.msg === 'step succeeded');
      expect(started).toMatchObject({ level: 'info', job: 'nightly', job_run_id: 1, step: 'load', type: 'probe', attempts: 1 });
      expect(typeof started.duration_ms).toBe('number');
    });
  });

  it('records triggers that fire while the previous run is still going as skipped runs', async () => {
    await withWarehouse(async (wh) => {
      vi.setSystemTime(new Date('2026-11-24T01:59:59.500Z'));
      const g = gate('slow');
      const sent: Notification[] = [];
      const h = await startScheduler({ warehouse: wh, config: probeConfig({ every: { cron: '* * * * *', steps: [{ name: 'slow', key: 'slow', timeout: '1h' }] } }), logger: () => undefined, notify: async (n) => void sent.push(n) });
      handles.push(h);
      await tick(1000);
      await g.started;
      expect(h.status().jobs[0].running).toMatchObject({ jobRunId: 1 });
      await tick(120_000); // 02:01 and 02:02 fire while run 1 holds
      await until(async () => (await runs(wh)).length === 3 && (await runs(wh)), 'two skipped rows');
      g.release();
      await until(async () => (await runs(wh))[0].status === 'succeeded', 'run 1 to finish');
      const rows = await runs(wh);
      expect(rows.map((r) => [r.job_run_id, r.status, r.scheduled_for])).toEqual([
        [1, 'succeeded', '2026-11-24T02:00:00.000Z'],
        [2, 'skipped', '2026-11-24T02:01:00.000Z'],
        [3, 'skipped', '2026-11-24T02:02:00.000Z'],
      ]);
      expect(rows[1].reason).toMatch(/^overlap: run 1 still running since 2026-11-24T02:00:00/);
      expect(sent.filter((n) => n.event === 'job_skipped')).toHaveLength(2);
      // The next trigger after the run finished runs normally.
      await tick(60_000);
      await until(async () => (await runs(wh)).length === 4 && (await runs(wh))[3].status === 'succeeded', 'run 4');
      expect(calls).toHaveLength(2);
    });
  });

  it('resumes a job whose latest run was interrupted, with the same run date', async () => {
    await withWarehouse(async (wh) => {
      vi.setSystemTime(new Date('2026-11-24T09:00:00Z'));
      await wh.run(
        `insert into job_runs (job, trigger, run_date, status, steps_total, pid, host, started_at) values ('nightly', 'schedule', '2026-11-23', 'running', 1, 999999, 'ops-1', '2026-11-24T02:00:00Z')`,
      );
      behaviours.set('load', () => undefined);
      const sent: Notification[] = [];
      const done: JobRunResult[] = [];
      const h = await startScheduler({ warehouse: wh, config: probeConfig({ nightly: { steps: ['load'] } }), logger: () => undefined, notify: async (n) => void sent.push(n), onRun: (r) => done.push(r) });
      handles.push(h);
      await until(() => done.length === 1, 'the resumed run');
      expect((await runs(wh)).map((r) => [r.job_run_id, r.trigger, r.run_date, r.status, r.resumes_run_id])).toEqual([
        [1, 'schedule', '2026-11-23', 'interrupted', null],
        [2, 'resume', '2026-11-23', 'succeeded', 1],
      ]);
      expect(sent[0]).toMatchObject({ event: 'job_interrupted', job: 'nightly', job_run_id: 1 });
    });
  });

  it('refuses a second scheduler over the same warehouse', async () => {
    await withWarehouse(async (wh) => {
      const config = probeConfig({ nightly: { steps: ['x'] } });
      const h = await startScheduler({ warehouse: wh, config, logger: () => undefined });
      handles.push(h);
      await expect(startScheduler({ warehouse: wh, config, logger: () => undefined })).rejects.toThrow(`a scheduler is already running over ${wh.path} in this process`);
    });
  });

  it('on stop: takes no more triggers, lets the running step finish, records the rest as not run, releases the lock', async () => {
    await withWarehouse(async (wh) => {
      vi.setSystemTime(new Date('2026-11-24T01:59:59.500Z'));
      const g = gate('first');
      behaviours.set('second', () => undefined);
      const h = await startScheduler({ warehouse: wh, config: probeConfig({ nightly: { steps: ['first', 'second'] } }), logger: () => undefined });
      await tick(1000);
      await g.started;
      const stopped = h.stop({ graceMs: 60_000 });
      await tick(500);
      expect(h.status().stopping).toBe(true);
      g.release();
      await stopped;
      const [run] = await runs(wh);
      expect(run).toMatchObject({ status: 'cancelled', reason: 'shutdown requested before step second; 1 steps not run' });
      expect(await wh.all('select step, status from job_step_runs order by step_index')).toEqual([{ step: 'first', status: 'succeeded' }]);
      expect(calls.map((c) => c.key)).toEqual(['first']);
      expect(existsSync(lockPathFor(wh.path))).toBe(false);
      await tick(86_400_000, 3_600_000);
      expect(await runs(wh)).toHaveLength(1);
    });
  });

  it('on stop: rolls the running step back when the grace period ends', async () => {
    await withWarehouse(async (wh) => {
      vi.setSystemTime(new Date('2026-11-24T01:59:59.500Z'));
      const g = gate('stuck');
      const h = await startScheduler({ warehouse: wh, config: probeConfig({ nightly: { steps: ['stuck', 'never'] } }), logger: () => undefined });
      await tick(1000);
      await g.started;
      const stopped = h.stop({ graceMs: 5000 });
      await tick(6000);
      await stopped;
      const [run] = await runs(wh);
      expect(run.status).toBe('cancelled');
      expect(run.reason).toBe('shutdown during step stuck: rolled back: the shutdown grace period ended before the step finished');
      expect(await wh.all('select step, status, error from job_step_runs')).toEqual([
        { step: 'stuck', status: 'cancelled', error: 'rolled back: the shutdown grace period ended before the step finished' },
      ]);
      expect(existsSync(lockPathFor(wh.path))).toBe(false);
    });
  });
});
