import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { AppError } from '../../src/errors.ts';
import { Warehouse } from '../../src/warehouse/index.ts';
import { startServer, type RunningServer } from '../../src/server/index.ts';
import { tempDir } from '../helpers.ts';

let wh: Warehouse;
let server: RunningServer;
let cleanup: () => void;

beforeAll(async () => {
  const t = tempDir();
  cleanup = t.cleanup;
  wh = await Warehouse.open(join(t.dir, 'crm.duckdb'));
  await wh.run(`insert into customers (customer_id, email) values (1, 'a@x.io'), (2, 'b@x.io'), (3, 'c@x.io')`);
  await wh.run(`insert into pipeline_runs (pipeline, entity, status, started_at, finished_at, duration_ms, rows_read, rows_inserted, rows_updated, rows_quarantined)
    values ('crm_customers', 'customers', 'succeeded', '2026-11-20T08:00:00Z', '2026-11-20T08:00:05Z', 5000, 4, 3, 0, 1),
           ('shop_orders', 'orders', 'failed', '2026-11-21T08:00:00Z', '2026-11-21T08:00:01Z', 1000, 0, 0, 0, 0)`);
  await wh.run(`insert into quarantine (run_id, pipeline, source_file, row_number, field, reason) values
    (1, 'crm_customers', 'customers.csv', 4, 'email', 'not an e-mail'),
    (1, 'crm_customers', 'customers.csv', 4, 'country', 'missing')`);
  server = await startServer({
    warehouse: wh,
    port: 0,
    host: '127.0.0.1',
    log: () => undefined,
    extend: (app) => {
      app.get('/api/boom/app', () => {
        throw new AppError('CONFLICT', 'busy', { what: 'x' });
      });
      app.get('/api/boom/bug', () => {
        throw new Error('secret stack detail');
      });
    },
  });
});

afterAll(async () => {
  await server?.close();
  await wh?.close();
  cleanup?.();
});

describe('server skeleton', () => {
  it('reports health', async () => {
    const res = await fetch(`${server.url}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok', dataVersion: 0, freshness: { status: 'unknown', sources: [] } });
    // Freshness rules as the scheduler stores them: orders never loaded successfully, so they are stale.
    await wh.run(`insert into source_freshness (source, entity, basis, warn_after_s, error_after_s, checked_at) values
      ('crm_customers', 'customers', 'load', 1e9, 2e9, now()), ('shop_orders', 'orders', 'load', 86400, 172800, now())`);
    const body = await (await fetch(`${server.url}/health`)).json();
    expect(body.status).toBe('stale');
    expect(body.freshness.sources.map((s: { source: string; status: string }) => [s.source, s.status])).toEqual([
      ['shop_orders', 'error'],
      ['crm_customers', 'ok'],
    ]);
    await wh.run('delete from source_freshness');
  });

  it('shows table counts, last runs and quarantine on the status page', async () => {
    const res = await fetch(`${server.url}/status`, { headers: { accept: 'application/json' } });
    const s = await res.json();
    expect(s.tables.find((t: { table_name: string }) => t.table_name === 'customers').row_count).toBe(3);
    expect(s.recentRuns.map((r: { pipeline: string }) => r.pipeline)).toEqual(['shop_orders', 'crm_customers']);
    expect(s.recentRuns[1].rows_loaded).toBe(3);
    expect(s.quarantine).toEqual([{ pipeline: 'crm_customers', rows_quarantined: 1, problems: 2, last_run_id: 1, most_common_reason: expect.any(String) }]);
    expect(s.dataAsOf).toBe('2026-11-20T08:00:05.000Z');
    const html = await (await fetch(`${server.url}/status`, { headers: { accept: 'text/html' } })).text();
    expect(html).toContain('crm_customers');
    expect(html).toContain('Quarantine by pipeline');
  });

  it('maps AppError codes to HTTP status with the error body', async () => {
    const res = await fetch(`${server.url}/api/boom/app`);
    expect(res.status).toBe(409);
    expect(await res.json()).toEqual({ error: { code: 'CONFLICT', message: 'busy', details: { what: 'x' } } });
  });

  it('answers a bug with 500 and no stack', async () => {
    const res = await fetch(`${server.url}/api/boom/bug`);
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(text).not.toContain('secret');
    expect(JSON.parse(text).error.code).toBe('INTERNAL');
  });

  it('answers unknown routes with NOT_FOUND, as HTML for browsers', async () => {
    const res = await fetch(`${server.url}/nope`);
    expect(res.status).toBe(404);
    expect((await res.json()).error.code).toBe('NOT_FOUND');
    const page = await fetch(`${server.url}/nope`, { headers: { accept: 'text/html,*/*' } });
    expect(page.headers.get('content-type')).toMatch(/html/);
    expect(await page.text()).toContain('no route for GET /nope');
  });
});
