import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { Warehouse } from '../../src/warehouse/index.ts';
import { startServer, type RunningServer } from '../../src/server/index.ts';
import { DashboardService } from '../../src/publish/dashboards/index.ts';
import { tempDir } from '../helpers.ts';
import { fixtureRange, seedDashboardFixture } from '../publish/dashboards/fixture.ts';

let wh: Warehouse;
let server: RunningServer;
let cleanup: () => void;
const range = `from=${fixtureRange.from}&to=${fixtureRange.to}`;

beforeAll(async () => {
  const t = tempDir();
  cleanup = t.cleanup;
  wh = await Warehouse.open(join(t.dir, 'crm.duckdb'));
  await seedDashboardFixture(wh);
  server = await startServer({
    warehouse: wh,
    port: 0,
    log: () => undefined,
    dashboards: new DashboardService(wh, { versionTtlMs: 0 }),
    // a row rule as issue 8 would add it: a header pins the region
    restrictFilters: (req, state) => (req.get('x-test-region') ? { ...state, region: req.get('x-test-region')! } : state),
  });
});
afterAll(async () => {
  await server?.close();
  await wh?.close();
  cleanup?.();
});

const get = (path: string, headers: Record<string, string> = {}) => fetch(`${server.url}${path}`, { headers });

describe('pages', () => {
  it('GET / lists the dashboards', async () => {
    const html = await (await get('/')).text();
    for (const name of ['executive', 'marketing', 'sales', 'service', 'ops']) expect(html).toContain(`href="/dashboards/${name}"`);
    expect(html).toContain('Data as of 2026-06-30T03:00:10.000Z');
  });

  it('GET /dashboards/:name renders filters, KPI tiles, panels and the embedded config', async () => {
    const res = await get(`/dashboards/executive?${range}&region=EMEA`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('<option value="EMEA" selected>EMEA</option>');
    expect(html).toContain('value="2026-01-01"');
    expect(html).toContain('id="kpi-revenue"');
    expect(html).toContain('id="panel-revenue_by_period"');
    expect(html).toContain('src="/vendor/vega.min.js"');
    expect(html).toMatch(/aria-describedby="panel-revenue_by_period-desc"/);
    const config = JSON.parse(/<script type="application\/json" id="dashboard-config">(.*?)<\/script>/s.exec(html)![1]);
    expect(config.state).toMatchObject({ from: '2026-01-01', to: '2026-06-30', region: 'EMEA' });
    expect(config.panels.find((p: { id: string }) => p.id === 'revenue_by_period').spec.data).toEqual({ name: 'table' });
  });

  it('an unknown dashboard is a 404 page for browsers and JSON for others', async () => {
    const page = await get('/dashboards/nope', { accept: 'text/html' });
    expect(page.status).toBe(404);
    expect(await page.text()).toContain('no dashboard &quot;nope&quot;; available: executive, marketing, sales, service, ops');
    const api = await get('/api/dashboards/nope/panels/x');
    expect(api.status).toBe(404);
    expect((await api.json()).error.code).toBe('NOT_FOUND');
  });

  it('serves vega, vega-lite and vega-embed from node_modules', async () => {
    for (const f of ['vega.min.js', 'vega-lite.min.js', 'vega-embed.min.js']) {
      const res = await get(`/vendor/${f}`);
      expect(res.status, f).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/javascript/);
      expect((await res.text()).length).toBeGreaterThan(10_000);
    }
    expect((await get('/vendor/../package.json')).status).toBe(404);
  });
});

describe('panel data API', () => {
  it('JSON: rows, columns, bound parameters and the data version', async () => {
    const res = await get(`/api/dashboards/executive/panels/revenue?${range}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-data-version')).toBe('1');
    const body = await res.json();
    expect(body.rows[0].value).toBe(480.5);
    expect(body.params).toEqual({ from: '2026-01-01', to: '2026-06-30', prev_from: '2025-07-04', prev_to: '2025-12-31', region: null, rep: null, segment: null });
    expect(body.dataVersion).toBe(1);
  });

  it('CSV via ?format=csv or Accept: text/csv, matching the JSON', async () => {
    const json = await (await get(`/api/dashboards/executive/panels/revenue_by_period?${range}`)).json();
    for (const res of [await get(`/api/dashboards/executive/panels/revenue_by_period?${range}&format=csv`), await get(`/api/dashboards/executive/panels/revenue_by_period?${range}`, { accept: 'text/csv' })]) {
      expect(res.headers.get('content-type')).toMatch(/text\/csv/);
      expect(res.headers.get('content-disposition')).toContain('executive-revenue_by_period.csv');
      const lines = (await res.text()).trim().split('\r\n');
      expect(lines[0]).toBe('period,period_end,revenue,orders,buyers,average_order_value');
      expect(lines.slice(1).map((l) => l.split(',').slice(0, 3).join(','))).toEqual(json.rows.map((r: Record<string, unknown>) => `${r.period},${r.period_end},${r.revenue}`));
    }
  });

  it('Arrow IPC when asked, typed from the DuckDB columns', async () => {
    const res = await get(`/api/dashboards/executive/panels/revenue_by_period?${range}`, { accept: 'application/vnd.apache.arrow.stream' });
    expect(res.headers.get('content-type')).toBe('application/vnd.apache.arrow.stream');
    const table = tableFromIPC(new Uint8Array(await res.arrayBuffer()));
    expect(table.numRows).toBe(6);
    expect(table.schema.fields.map((f) => `${f.name}:${f.type}`)).toEqual([
      'period:Date32<DAY>',
      'period_end:Date32<DAY>',
      'revenue:Float64',
      'orders:Int64',
      'buyers:Int64',
      'average_order_value:Float64',
    ]);
    expect(table.getChild('revenue')!.toArray()[1]).toBe(250.5);
    expect(Number(table.getChild('orders')!.get(1))).toBe(2);
    expect(new Date(table.getChild('period')!.get(1)).toISOString()).toBe('2026-02-01T00:00:00.000Z');
  });

  it('rejects bad filters with 400 and the field', async () => {
    const cases: [string, RegExp][] = [
      [`from=2026-13-01`, /from/],
      [`from=2026-06-01&to=2026-01-01`, /after/],
      [`granularity=hour`, /granularity/],
      [`colour=red`, /unknown filter "colour"/],
      [`format=xml`, /format must be json, csv or arrow/],
      [`region=a&region=b`, /more than once/],
    ];
    for (const [qs, message] of cases) {
      const res = await get(`/api/dashboards/executive/panels/revenue?${qs}`);
      expect(res.status, qs).toBe(400);
      const body = await res.json();
      expect(body.error.code).toBe('VALIDATION');
      expect(body.error.message, qs).toMatch(message);
    }
  });

  it('an unknown panel is a 404 naming the panels', async () => {
    const res = await get(`/api/dashboards/executive/panels/nope`);
    expect(res.status).toBe(404);
    expect((await res.json()).error.message).toMatch(/panels: revenue, new_customers/);
  });

  it('hostile filter values are bound, never pasted into SQL', async () => {
    const evil = encodeURIComponent("EMEA' or 1=1 --");
    const res = await get(`/api/dashboards/executive/panels/revenue?${range}&region=${evil}`);
    expect(res.status).toBe(200);
    expect((await res.json()).rows[0].value).toBe(0);
  });

  it('the restrictFilters hook pins filters before any query runs', async () => {
    const res = await get(`/api/dashboards/executive/panels/revenue?${range}&region=AMER`, { 'x-test-region': 'EMEA' });
    const body = await res.json();
    expect(body.params.region).toBe('EMEA');
    expect(body.rows[0].value).toBe(350.5);
  });

  it('caches per data version: a load that bumps the version is seen at once', async () => {
    const url = `/api/dashboards/executive/panels/revenue?${range}`;
    expect((await (await get(url)).json()).rows[0].value).toBe(480.5);
    await wh.transaction(async (tx) => {
      await tx.run(`insert into orders (order_id, customer_id, ordered_at, status, total_amount) values ('o99', 1, '2026-05-05T00:00:00Z', 'completed', 19.5)`);
      await tx.run(`update warehouse_meta set value = '7' where key = 'data_version'`);
    });
    const after = await (await get(url)).json();
    expect(after.dataVersion).toBe(7);
    expect(after.rows[0].value).toBe(500);
    // a write that does not bump the version is not seen (the cache is keyed on the version)
    await wh.run(`delete from orders where order_id = 'o99'`);
    expect((await (await get(url)).json()).rows[0].value).toBe(500);
    await wh.run(`update warehouse_meta set value = '8' where key = 'data_version'`);
    expect((await (await get(url)).json()).rows[0].value).toBe(480.5);
  });

  it('GET /api/dashboards and /api/dashboards/:name describe the dashboards', async () => {
    const list = await (await get('/api/dashboards')).json();
    expect(list.dashboards.map((d: { name: string }) => d.name)).toEqual(['executive', 'marketing', 'sales', 'service', 'ops']);
    const d = await (await get(`/api/dashboards/sales?${range}`)).json();
    expect(d.options.rep).toEqual([
      { value: 'e1', label: 'Alice Ng (EMEA)' },
      { value: 'e2', label: 'Bob Ortiz (AMER)' },
    ]);
    expect(d.options.region.map((r: { value: string }) => r.value)).toEqual(['AMER', 'APAC', 'EMEA']);
  });

  it('the static export downloads as one HTML file', async () => {
    const res = await get(`/dashboards/ops/export.html?${range}`);
    expect(res.headers.get('content-disposition')).toContain('ops.html');
    const html = await res.text();
    expect(html).not.toMatch(/<script src=/);
    expect(html).toContain('"mode":"static"');
  });
});
