import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseJobsConfig, runJob } from '../../src/scheduler/index.ts';
import { withWarehouse } from '../helpers.ts';

describe('ingest step', () => {
  it('runs every load, fails the step at the end, and does not retry a load rejected for bad rows', async () => {
    await withWarehouse(async (wh, dir) => {
      mkdirSync(join(dir, 'p'));
      writeFileSync(join(dir, 'products.csv'), 'sku,title,price\nP1,Pen,1.50\nP2,Pad,abc\nP3,Ink,x\n');
      writeFileSync(join(dir, 'customers.csv'), 'id,email\nC1,a@example.com\nC2,b@example.com\n');
      writeFileSync(join(dir, 'p', 'products.json'), JSON.stringify({ source: { type: 'csv', path: join(dir, 'products.csv') }, entity: 'products', mapping: { product_id: 'sku', name: 'title', list_price: 'price' } }));
      writeFileSync(join(dir, 'p', 'customers.json'), JSON.stringify({ system: 'shop', source: { type: 'csv', path: join(dir, 'customers.csv') }, entity: 'customers', mapping: { customer_id: 'id', email: 'email' } }));
      const config = parseJobsConfig({ defaults: { retries: 2, backoff: { initial: 10 } }, jobs: { j: { cron: '0 2 * * *', steps: [{ type: 'ingest', pipelines: join(dir, 'p') }, { type: 'models' }] } } });
      const r = await runJob(wh, config, 'j');
      expect(r.status).toBe('failed');
      expect(r.steps).toHaveLength(1);
      expect(r.steps[0].attempts).toHaveLength(1);
      expect(r.error).toMatch(/^pipeline products \(run 1\): 2 of 3 rows rejected \(66\.7% > maxQuarantineRatio 10\.0%\); nothing was loaded/);
      // products comes first in dependency order, customers still loaded.
      expect(await wh.all('select count(*) as n from customers')).toEqual([{ n: 2 }]);
      expect(await wh.all('select count(*) as n from products')).toEqual([{ n: 0 }]);
      const detail = JSON.parse((await wh.all<{ d: string }>('select detail::varchar as d from job_step_runs'))[0].d);
      expect(detail.pipelines.map((p: { pipeline: string; run_id: number; status: string }) => [p.pipeline, p.run_id, p.status])).toEqual([
        ['products', 1, 'failed'],
        ['customers', 2, 'succeeded'],
      ]);
    });
  });

  it('retries a missing source file, loading only what has not succeeded yet', async () => {
    await withWarehouse(async (wh, dir) => {
      mkdirSync(join(dir, 'p'));
      writeFileSync(join(dir, 'customers.csv'), 'id,email\nC1,a@example.com\n');
      writeFileSync(join(dir, 'p', 'customers.json'), JSON.stringify({ system: 'shop', source: { type: 'csv', path: join(dir, 'customers.csv') }, entity: 'customers', mapping: { customer_id: 'id', email: 'email' } }));
      writeFileSync(
        join(dir, 'p', 'orders.json'),
        JSON.stringify({ system: 'shop', source: { type: 'csv', path: join(dir, 'late/orders.csv') }, entity: 'orders', mapping: { order_id: 'id', customer_id: 'c', ordered_at: 'at', status: 'st', total_amount: 't' } }),
      );
      // The orders file arrives while the step waits to retry.
      const log = (_level: string, msg: string) => {
        if (msg !== 'step attempt failed; retrying') return;
        mkdirSync(join(dir, 'late'), { recursive: true });
        writeFileSync(join(dir, 'late/orders.csv'), 'id,c,at,st,t\nO1,C1,2026-11-01T10:00:00Z,completed,9.99\n');
      };
      const config = parseJobsConfig({ jobs: { j: { cron: '0 2 * * *', steps: [{ type: 'ingest', pipelines: join(dir, 'p'), retries: 3, backoff: { initial: '200ms', factor: 1 } }] } } });
      const r = await runJob(wh, config, 'j', { log });
      expect(r.status).toBe('succeeded');
      expect(r.steps[0].attempts.map((a) => a.error ?? null)).toEqual([expect.stringContaining('late/orders.csv: file not found'), null]);
      expect(await wh.all('select pipeline, status from pipeline_runs order by run_id')).toEqual([
        { pipeline: 'customers', status: 'succeeded' },
        { pipeline: 'orders', status: 'failed' },
        { pipeline: 'orders', status: 'succeeded' },
      ]);
      expect(r.steps[0].summary).toBe('2 loads: 2 rows read, 2 inserted, 0 updated, 0 deleted, 0 quarantined');
    });
  });
});

describe('segments and exports steps', () => {
  it('snapshots segments as of the run date and writes dated target lists, diffing against the previous one', async () => {
    await withWarehouse(async (wh, dir) => {
      await wh.run(
        `insert into customers (customer_id, email, email_opt_in, country) values (1, 'a@example.com', true, 'DE'), (2, 'b@example.com', true, 'DE'), (3, 'c@example.com', false, 'DE');
         insert into orders (order_id, customer_id, ordered_at, status, total_amount) values
           ('O1', 1, '2026-10-01T10:00:00Z', 'completed', 100), ('O2', 1, '2026-10-20T10:00:00Z', 'completed', 120),
           ('O3', 2, '2026-03-01T10:00:00Z', 'completed', 30), ('O4', 3, '2026-10-25T10:00:00Z', 'completed', 500);`,
      );
      const config = parseJobsConfig({
        defaults: { retries: 0 },
        jobs: {
          j: {
            cron: '0 2 * * *',
            steps: [
              { type: 'segments' },
              { type: 'exports', exports: [{ name: 'all-email', segment: 'rfm-champions', channel: 'email', out: join(dir, 'out/${RUN_DATE}/champions.csv'), diff: 'previous' }] },
            ],
          },
        },
      });
      const first = await runJob(wh, config, 'j', { runDate: '2026-10-31' });
      expect(first.status, first.error).toBe('succeeded');
      expect(first.steps[0].summary).toMatch(/^segments run 1 as of 2026-10-31: 3 customers RFM-scored/);
      expect(await wh.all("select run_id, as_of from segment_runs where status = 'succeeded'")).toEqual([{ run_id: 1, as_of: '2026-10-31' }]);
      expect(existsSync(join(dir, 'out/2026-10-31/champions.csv'))).toBe(true);
      const second = await runJob(wh, config, 'j', { runDate: '2026-11-01' });
      expect(second.status, second.error).toBe('succeeded');
      expect(readFileSync(join(dir, 'out/2026-11-01/champions.csv'), 'utf8').length).toBeGreaterThan(0);
      expect(await wh.all('select export_id, as_of, diff_since, requested_by from export_log order by export_id')).toEqual([
        { export_id: 1, as_of: '2026-10-31', diff_since: null, requested_by: 'scheduler:j/all-email' },
        { export_id: 2, as_of: '2026-11-01', diff_since: 1, requested_by: 'scheduler:j/all-email' },
      ]);
      // A re-run of the same date replaces its file instead of failing on it.
      expect((await runJob(wh, config, 'j', { runDate: '2026-11-01' })).status).toBe('succeeded');
    });
  });
});
