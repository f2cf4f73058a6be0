import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  backfill,
  createNotifier,
  jsonLogger,
  parseJobsConfig,
  PermanentError,
  runJob,
  silentLogger,
  StepUnavailable,
  type Notification,
} from '../../src/scheduler/index.ts';
import type { Warehouse } from '../../src/warehouse/index.ts';
import { withWarehouse } from '../helpers.ts';
import { behaviours, calls, gate, probeConfig } from './probe.ts';

const jobRows = (wh: Warehouse) =>
  wh.all<{ job_run_id: number; job: string; trigger: string; status: string; reason: string | null; error: string | null; failed_step: string | null; steps_succeeded: number }>(
    'select job_run_id, job, trigger, status, reason, error, failed_step, steps_succeeded from job_runs order by job_run_id',
  );
const stepRows = (wh: Warehouse, id: number) =>
  wh.all<{ step: string; status: string; attempts: number; error: string | null; detail: string }>(
    'select step, status, attempts, error, detail::varchar as detail from job_step_runs where job_run_id = $id order by step_index',
    { id },
  );

beforeEach(() => {
  behaviours.clear();
  calls.length = 0;
});

describe('runJob: chain, retries, timeouts', () => {
  it('retries a failing step with exponential backoff and records every attempt', async () => {
    await withWarehouse(async (wh) => {
      let n = 0;
      behaviours.set('flaky', () => {
        if (++n < 3) throw new Error(`source not there yet (${n})`);
      });
      behaviours.set('after', () => undefined);
      const config = probeConfig({ j: { steps: [{ name: 'flaky', key: 'flaky', retries: 3, backoff: { initial: 60, factor: 3, max: 1000 } }, 'after'] } });
      const r = await runJob(wh, config, 'j');
      expect(r.status).toBe('succeeded');
      expect(r.steps[0].attempts.map((a) => [a.attempt, a.error ?? null, a.backoff_ms ?? null])).toEqual([
        [1, 'source not there yet (1)', 60],
        [2, 'source not there yet (2)', 180],
        [3, null, null],
      ]);
      const flaky = calls.filter((c) => c.key === 'flaky');
      expect(flaky[1].at - flaky[0].at).toBeGreaterThanOrEqual(60);
      expect(flaky[2].at - flaky[1].at).toBeGreaterThanOrEqual(180);
      const [row] = await stepRows(wh, r.jobRunId);
      expect(row).toMatchObject({ step: 'flaky', status: 'succeeded', attempts: 3, error: null });
      expect(JSON.parse(row.detail).attempts).toHaveLength(3);
      expect((await jobRows(wh))[0]).toMatchObject({ status: 'succeeded', steps_succeeded: 2 });
    });
  });

  it('caps the backoff and gives up after the last retry; the failed step stops the chain', async () => {
    await withWarehouse(async (wh) => {
      behaviours.set('first', () => undefined);
      behaviours.set('broken', () => {
        throw new Error('connection refused');
      });
      behaviours.set('never', () => undefined);
      const sent: Notification[] = [];
      const config = probeConfig({ j: { steps: ['first', { name: 'broken', key: 'broken', retries: 2, backoff: { initial: 50, factor: 10, max: 80 } }, 'never'] } });
      const r = await runJob(wh, config, 'j', { notify: async (n) => void sent.push(n) });
      expect(r.status).toBe('failed');
      expect(r.failedStep).toBe('broken');
      expect(r.error).toBe('connection refused (after 3 attempts)');
      expect(r.steps[1].attempts.map((a) => a.backoff_ms ?? null)).toEqual([50, 80, null]);
      expect(calls.map((c) => c.key)).toEqual(['first', 'broken', 'broken', 'broken']);
      expect((await stepRows(wh, r.jobRunId)).map((s) => [s.step, s.status, s.attempts])).toEqual([
        ['first', 'succeeded', 1],
        ['broken', 'failed', 3],
      ]);
      expect((await jobRows(wh))[0]).toMatchObject({ status: 'failed', failed_step: 'broken', error: 'connection refused (after 3 attempts)', steps_succeeded: 1 });
      expect(sent.filter((n) => n.event === 'job_failed')).toEqual([
        expect.objectContaining({ event: 'job_failed', severity: 'error', job: 'j', job_run_id: r.jobRunId, step: 'broken', error: 'connection refused (after 3 attempts)', attempts: 3 }),
      ]);
    });
  });

  it('does not retry errors a retry cannot fix', async () => {
    await withWarehouse(async (wh) => {
      behaviours.set('bad', () => {
        throw new PermanentError('pipelines/demo/orders.json: mapping.total_amount: required');
      });
      const r = await runJob(wh, probeConfig({ j: { steps: [{ name: 'bad', key: 'bad', retries: 5 }] } }), 'j');
      expect(r.status).toBe('failed');
      expect(r.steps[0].attempts).toHaveLength(1);
      expect(r.error).toBe('pipelines/demo/orders.json: mapping.total_amount: required');
    });
  });

  it('cuts off a step at its timeout, rolling back its running query, and retries it', async () => {
    await withWarehouse(async (wh) => {
      behaviours.set('slow', async (ctx) => {
        await ctx.wh.transaction(async (tx) => {
          await tx.run("insert into warehouse_meta values ('probe', 'written')");
          await tx.all('select count(*) from range(1000000000000) t(i) where i % 7 = 3');
        });
      });
      const started = Date.now();
      const r = await runJob(wh, probeConfig({ j: { steps: [{ name: 'slow', key: 'slow', timeout: '300ms', retries: 1, backoff: { initial: 10 } }] } }), 'j');
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(r.status).toBe('failed');
      expect(r.steps[0].attempts.map((a) => a.error)).toEqual(['timed out after 300ms', 'timed out after 300ms']);
      expect(await wh.all("select * from warehouse_meta where key = 'probe'")).toEqual([]);
      expect(await wh.all('select 42 as ok')).toEqual([{ ok: 42 }]);
    });
  });

  it('skips an optional step whose feature is not installed, and fails a required one at once', async () => {
    await withWarehouse(async (wh) => {
      behaviours.set('missing', () => {
        throw new StepUnavailable('segment snapshots are not available in this build');
      });
      behaviours.set('last', () => undefined);
      const ok = await runJob(wh, probeConfig({ j: { steps: [{ name: 'missing', key: 'missing', optional: true, retries: 3 }, 'last'] } }), 'j');
      expect(ok.status).toBe('succeeded');
      expect(ok.steps.map((s) => [s.step, s.status, s.summary])).toEqual([
        ['missing', 'skipped', 'skipped (optional): segment snapshots are not available in this build'],
        ['last', 'succeeded', 'last ok'],
      ]);
      const bad = await runJob(wh, probeConfig({ j: { steps: [{ name: 'missing', key: 'missing', retries: 3 }, 'last'] } }), 'j');
      expect(bad.status).toBe('failed');
      expect(bad.steps[0].attempts).toHaveLength(1);
    });
  });

  it('records a second trigger of a running job as skipped, and lets other jobs wait for the writer', async () => {
    await withWarehouse(async (wh) => {
      const g = gate('hold');
      behaviours.set('other', () => undefined);
      const config = probeConfig({ a: { steps: ['hold'] }, b: { steps: ['other'] } });
      const first = runJob(wh, config, 'a');
      await g.started;
      const second = await runJob(wh, config, 'a', { trigger: 'schedule', scheduledFor: new Date('2026-11-24T02:00:00Z') });
      expect(second.status).toBe('skipped');
      expect(second.reason).toMatch(/^overlap: run 1 \(manual\) has been running since \d{4}-/);
      const otherJob = runJob(wh, config, 'b');
      await new Promise((r) => setTimeout(r, 200));
      expect(calls.map((c) => c.key)).toEqual(['hold']); // b waits for a to release the writer
      g.release();
      expect((await first).status).toBe('succeeded');
      expect((await otherJob).status).toBe('succeeded');
      expect(calls.map((c) => c.key)).toEqual(['hold', 'other']);
      expect((await jobRows(wh)).map((r) => [r.job_run_id, r.job, r.trigger, r.status])).toEqual([
        [1, 'a', 'manual', 'succeeded'],
        [2, 'a', 'schedule', 'skipped'],
        [3, 'b', 'manual', 'succeeded'],
      ]);
    });
  });

  it('marks runs left running by a dead process as interrupted before it starts', async () => {
    await withWarehouse(async (wh) => {
      await wh.run(
        `insert into pipeline_runs (pipeline, entity, status, started_at) values ('orders', 'orders', 'running', now() - interval 1 hour);
         insert into job_runs (job, trigger, run_date, status, steps_total, pid, host, started_at) values ('j', 'schedule', '2026-11-22', 'running', 1, 999999, 'ops-1', now() - interval 1 hour);
         insert into job_step_runs (job_run_id, step_index, step, type, status, started_at) values (1, 0, 'ingest', 'ingest', 'running', now() - interval 1 hour);`,
      );
      behaviours.set('s', () => undefined);
      const sent: Notification[] = [];
      const r = await runJob(wh, probeConfig({ j: { steps: ['s'] } }), 'j', { notify: async (n) => void sent.push(n) });
      expect(r.status).toBe('succeeded');
      expect(await wh.all("select status, error like 'interrupted:%' as interrupted, rows_inserted from pipeline_runs")).toEqual([{ status: 'failed', interrupted: true, rows_inserted: 0 }]);
      expect((await jobRows(wh)).map((x) => [x.job_run_id, x.status, x.failed_step])).toEqual([
        [1, 'interrupted', 'ingest'],
        [2, 'succeeded', null],
      ]);
      expect((await stepRows(wh, 1))[0].status).toBe('interrupted');
      expect(sent.map((n) => n.event)).toEqual(['job_interrupted', 'job_succeeded']);
      expect(sent[0].text).toBe('j: run 1 (run date 2026-11-22) was interrupted during step ingest — process 999999 on ops-1 ended; nothing half-loaded was kept');
    });
  });
});

describe('date-partitioned loads and backfill', () => {
  it('loads ${RUN_DATE} partitions, one run per date, and stops at a missing partition', async () => {
    await withWarehouse(async (wh, dir) => {
      const days = { '2026-11-01': ['A1,C1,2026-11-01T10:00:00Z,completed,10.00', 'A2,C2,2026-11-01T11:00:00Z,completed,20.50'], '2026-11-02': ['A3,C1,2026-11-02T09:00:00Z,returned,5.25'] };
      for (const [d, lines] of Object.entries(days)) {
        mkdirSync(join(dir, 'in', d), { recursive: true });
        writeFileSync(join(dir, 'in', d, 'orders.csv'), `id,customer,at,status,total\n${lines.join('\n')}\n`);
      }
      mkdirSync(join(dir, 'pipelines'));
      writeFileSync(
        join(dir, 'pipelines', 'orders.json'),
        JSON.stringify({
          system: 'shop',
          source: { type: 'csv', path: `${dir}/in/\${RUN_DATE}/orders.csv` },
          entity: 'orders',
          identity: { createMissing: true },
          mapping: { order_id: 'id', customer_id: 'customer', ordered_at: 'at', status: 'status', total_amount: 'total' },
        }),
      );
      const config = parseJobsConfig({ defaults: { retries: 0 }, jobs: { daily: { cron: '0 2 * * *', steps: [{ type: 'ingest', pipelines: join(dir, 'pipelines') }] } } });
      const results = await backfill(wh, config, 'daily', '2026-11-01', '2026-11-03');
      expect(results.map((r) => [r.runDate, r.trigger, r.status])).toEqual([
        ['2026-11-01', 'backfill', 'succeeded'],
        ['2026-11-02', 'backfill', 'succeeded'],
        ['2026-11-03', 'backfill', 'failed'],
      ]);
      expect(results[2].error).toContain(`${dir}/in/2026-11-03/orders.csv: file not found`);
      expect(await wh.all('select order_id, status, total_amount from orders order by order_id')).toEqual([
        { order_id: 'A1', status: 'completed', total_amount: 10 },
        { order_id: 'A2', status: 'completed', total_amount: 20.5 },
        { order_id: 'A3', status: 'returned', total_amount: 5.25 },
      ]);
      expect((await wh.all<{ source: string }>("select source from pipeline_runs where status = 'succeeded' order by run_id")).map((r) => r.source)).toEqual([
        expect.stringContaining('/in/2026-11-01/orders.csv'),
        expect.stringContaining('/in/2026-11-02/orders.csv'),
      ]);
      const stopped = await backfill(wh, config, 'daily', '2026-11-03', '2026-11-05');
      expect(stopped).toHaveLength(1);
      const all = await backfill(wh, config, 'daily', '2026-11-03', '2026-11-04', { continueOnError: true });
      expect(all.map((r) => r.status)).toEqual(['failed', 'failed']);
      await expect(backfill(wh, config, 'daily', '2026-11-05', '2026-11-01')).rejects.toThrow('--from 2026-11-05 is after --to 2026-11-01');
      await expect(backfill(wh, config, 'daily', '2026-02-30', '2026-03-01')).rejects.toThrow('--from must be a date YYYY-MM-DD (got "2026-02-30")');
    });
  });
});

describe('webhook notifications', () => {
  it('POSTs a JSON body for the configured events, retries a failing endpoint, never throws', async () => {
    const received: { body: Record<string, unknown>; auth: string | undefined }[] = [];
    let failFirst = true;
    const server = createServer((req: IncomingMessage, res) => {
      let data = '';
      req.on('data', (c) => (data += c));
      req.on('end', () => {
        if (failFirst) {
          failFirst = false;
          res.statusCode = 503;
          return res.end();
        }
        received.push({ body: JSON.parse(data), auth: req.headers.authorization });
        res.end('ok');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    try {
      const config = parseJobsConfig(
        {
          jobs: { j: { cron: '0 2 * * *', steps: [{ type: 'probe', key: 'x' }] } },
          notify: { webhook: { url: `http://127.0.0.1:\${HOOK_PORT}/hook`, headers: { authorization: 'Bearer ${HOOK_TOKEN:-none}' }, events: ['job_failed'] } },
        },
        'jobs.json',
        { HOOK_PORT: String(port), HOOK_TOKEN: 's3cret' },
      );
      const lines: string[] = [];
      const notify = createNotifier(config, jsonLogger((l) => lines.push(l)));
      await notify({ event: 'job_succeeded', severity: 'info', text: 'not sent' });
      await notify({ event: 'job_failed', severity: 'error', text: 'j: run 4 failed at step ingest: boom', job: 'j', job_run_id: 4, step: 'ingest', error: 'boom' });
      expect(received).toHaveLength(1);
      expect(received[0].auth).toBe('Bearer s3cret');
      expect(received[0].body).toMatchObject({ event: 'job_failed', severity: 'error', text: 'j: run 4 failed at step ingest: boom', job: 'j', job_run_id: 4, step: 'ingest', error: 'boom' });
      expect(typeof received[0].body.sent_at).toBe('string');
      expect(lines.map((l) => JSON.parse(l).msg)).toEqual(['notify: not sent', 'notify: j: run 4 failed at step ingest: boom']);
    } finally {
      server.close();
    }
    const dead = createNotifier(
      parseJobsConfig({ jobs: {}, notify: { webhook: { url: 'http://127.0.0.1:1/hook', timeout: '200ms' } } }),
      silentLogger,
    );
    await expect(dead({ event: 'job_failed', severity: 'error', text: 'x' })).resolves.toBeUndefined();
  }, 20_000);
});
