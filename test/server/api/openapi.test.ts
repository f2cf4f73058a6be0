import { tableFromIPC } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { Warehouse } from '../../../src/warehouse/index.ts';
import { startServer } from '../../../src/server/index.ts';
import { seedFixture } from '../../models/segments/fixture.ts';
import { tempDir } from '../../helpers.ts';
import { startTestServer, type TestServer } from './setup.ts';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
}, 60_000);
afterAll(async () => s?.close());

describe('OpenAPI document', () => {
  it('describes every route with its permission, parameters and bodies from the zod schemas', async () => {
    const res = await s.call('analyst', '/api/v1/openapi.json');
    expect(res.status).toBe(200);
    const doc = await res.json();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/customers', '/customers/{id}', '/segments/preview', '/exports/{id}/download', '/reports/{name}', '/jobs/{name}/trigger', '/dashboards/{name}/panels/{panel}', '/audit']));
    const search = doc.paths['/customers'].get;
    expect(search['x-permission']).toBe('customers:read');
    expect(search.description).toContain('roles: admin, marketing, analyst');
    const limit = search.parameters.find((p: { name: string }) => p.name === 'limit');
    expect(limit).toMatchObject({ in: 'query', required: false });
    expect(JSON.stringify(limit.schema)).toContain('1000');
    expect(doc.paths['/customers/{id}'].get.parameters[0]).toMatchObject({ name: 'id', in: 'path', required: true });
    const exportBody = doc.paths['/exports'].post.requestBody.content['application/json'].schema;
    expect(exportBody.properties.channel.enum).toEqual(['email', 'sms', 'phone', 'mail']);
    expect(exportBody.additionalProperties).toBe(false);
    expect(doc.paths['/customers'].get.responses['200'].content).toHaveProperty(['application/vnd.apache.arrow.stream']);
    const ops = Object.values(doc.paths).flatMap((p) => Object.values(p as object)) as { operationId: string }[];
    expect(new Set(ops.map((o) => o.operationId)).size).toBe(ops.length);
  });

  it('needs a token like everything else', async () => {
    expect((await s.call(null, '/api/v1/openapi.json')).status).toBe(401);
  });
});

describe('Arrow IPC', () => {
  it('answers a report as an Arrow stream with typed columns, the same numbers as JSON', async () => {
    const q = '/api/v1/reports/sales?from=2025-01-01&to=2026-12-31&by=none&groupBy=country';
    const j = await (await s.call('admin', q)).json();
    const res = await s.call('admin', q, { headers: { accept: 'application/vnd.apache.arrow.stream' } });
    expect(res.headers.get('content-type')).toBe('application/vnd.apache.arrow.stream');
    const t = tableFromIPC(new Uint8Array(await res.arrayBuffer()));
    expect(t.numRows).toBe(j.rows.length);
    const revenue = t.getChild('revenue')!.toArray() as Float64Array;
    expect([...revenue]).toEqual(j.rows.map((r: { revenue: number }) => r.revenue));
    expect(JSON.parse(decodeURIComponent(res.headers.get('x-meta')!)).report).toBe('sales');
  });

  it('JSON stays the default for */* and browsers', async () => {
    for (const accept of ['*/*', 'application/json, */*', 'text/html']) {
      const res = await s.call('admin', '/api/v1/customers?limit=1', { headers: { accept } });
      expect(res.headers.get('content-type'), accept).toMatch(/^application\/json/);
    }
  });
});

describe('open mode (the local demo)', () => {
  it('serves the API without login on loopback, everybody an admin', async () => {
    const t = tempDir();
    const wh = await Warehouse.open(join(t.dir, 'crm.duckdb'));
    try {
      await seedFixture(wh);
      const server = await startServer({ warehouse: wh, port: 0, host: '127.0.0.1', auth: 'open', log: () => undefined });
      try {
        const me = await (await fetch(`${server.url}/api/v1/me`)).json();
        expect(me).toMatchObject({ user: 'open', role: 'admin', via: 'open' });
        const c = await (await fetch(`${server.url}/api/v1/customers?q=ada@example.com`)).json();
        expect(c.rows.map((r: { customer_id: number }) => r.customer_id)).toEqual([1, 9]);
        expect((await fetch(`${server.url}/login`, { redirect: 'manual' })).status).toBe(303);
      } finally {
        await server.close();
      }
    } finally {
      await wh.close();
      t.cleanup();
    }
  });
});
