/**
 * Property-based fuzzing (fast-check, seeded): random and hostile path parameters, query strings, bodies
 * and headers against every declared /api/v1 route. Properties: never a 5xx (the server logs none), every
 * error has the `{ error: { code, message, details } }` shape without stack traces or SQL, and read routes
 * leave the warehouse's tables exactly as they were (the audit log and sessions aside).
 */
import fc from 'fast-check';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSegment } from '../../../src/models/segments/index.ts';
import { createExport } from '../../../src/publish/exports/index.ts';
import type { DashboardService } from '../../../src/publish/dashboards/index.ts';
import { apiRoutes, type AnyRoute } from '../../../src/server/api/index.ts';
import { startTestServer, type TestServer, type UserKey } from './setup.ts';

let s: TestServer;
const SEED = Number(process.env.FUZZ_SEED ?? 20261123);
const RUNS = Number(process.env.FUZZ_RUNS ?? 15);

const hostile = fc.constantFrom(
  "' or 1=1 --",
  "'; drop table customers; --",
  '1; select * from auth_tokens',
  '" OR ""="',
  '$id',
  '../../../../etc/passwd',
  '..%2F..%2Fetc%2Fpasswd',
  '/etc/passwd',
  'C:\\Windows\\win.ini',
  '\u0000',
  '%00',
  '9'.repeat(400),
  '1e309',
  '-1',
  '0',
  '-0',
  'NaN',
  'Infinity',
  '1.5',
  '9007199254740993',
  '__proto__',
  'constructor',
  'toString',
  '<script>alert(1)</script>',
  '😀👨‍👩‍👧',
  '\u202e\u0301',
  'ｆｕｌｌｗｉｄｔｈ',
  'x'.repeat(5000),
  '',
  ' ',
  'null',
  'true',
  '[]',
  '{}',
  'EMEA',
  'win-back',
  'sales',
  'executive',
);
const anyText = fc.oneof(hostile, fc.string({ maxLength: 40 }), fc.string({ unit: 'grapheme', maxLength: 20 }), fc.integer().map(String), fc.double().map(String));
const nested = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, anyText, fc.integer(), fc.double(), fc.boolean(), fc.constant(null), tie('arr'), tie('obj')),
  arr: fc.array(tie('value'), { maxLength: 4 }),
  obj: fc.dictionary(fc.oneof(anyText, fc.constantFrom('name', 'rule', 'definition', 'segment', 'channel', 'format', 'fields', 'filters', 'user', 'role', 'models', '__proto__')), tie('value'), { maxKeys: 5 }),
})).value;

/** Keys a route's query schema knows, so fuzzing reaches past "unknown key" errors. */
const knownKeys = ['q', 'limit', 'offset', 'region', 'country', 'asOf', 'plan', 'from', 'to', 'by', 'groupBy', 'filters.region', 'filters[country]', 'format', 'granularity', 'segment', 'rep', 'model', 'status', 'job', 'pipeline', 'user', 'all', 'actor', 'action', 'since', 'until', 'customer_id', 'measures', 'sort'];
const queryArb = fc.array(fc.tuple(fc.oneof(fc.constantFrom(...knownKeys), anyText), fc.oneof(anyText, fc.constantFrom('1', '50', '2026-06-30', 'true'))), { maxLength: 5 });
const headerArb = fc.record({
  accept: fc.constantFrom('application/json', 'application/vnd.apache.arrow.stream', 'text/csv', '*/*', 'text/html', 'application/vnd.apache.arrow.stream;q=0.1, application/json', '\u00ff', ''),
  'content-type': fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=utf-16', 'multipart/form-data; boundary=x'),
  'x-forwarded-for': fc.constantFrom('1.2.3.4', "' or 1=1", ''),
});
const bodyArb = fc.oneof(
  nested.map((v) => JSON.stringify(v)),
  fc.constantFrom('{', '{"a":', 'null', '[]', '"str"', '{"__proto__":{"admin":true}}', '{"constructor":{"prototype":{"x":1}}}', '[' .repeat(3000), '{"name":"' + 'a'.repeat(70_000) + '"}'),
);

const pathOf = (r: AnyRoute, values: string[]) => {
  let i = 0;
  return `/api/v1${r.path.replace(/:([A-Za-z_]+)/g, () => encodeURIComponent(values[i++] ?? 'x'))}`;
};

/** Routes whose valid bodies would start long work: the fuzzer adds an unknown key so the strict schema rejects it first. */
const heavy = new Set(['post /models/run', 'post /jobs/:name/trigger']);

async function checksums(): Promise<Record<string, string>> {
  const tables = await s.wh.all<{ table_name: string }>(
    "select table_name from information_schema.tables where table_schema = 'main' and table_type = 'BASE TABLE' and table_name not in ('audit_log', 'auth_sessions') order by 1",
  );
  const out: Record<string, string> = {};
  for (const { table_name } of tables) {
    const [r] = await s.wh.all<{ n: number; h: string | null }>(`select count(*) as n, md5(string_agg(cast(t as varchar), '|' order by cast(t as varchar))) as h from "${table_name}" as t`);
    out[table_name] = `${r.n}:${r.h}`;
  }
  return out;
}

async function send(user: UserKey, r: AnyRoute, path: string, query: [string, string][], headers: Record<string, string>, body: string | undefined) {
  const qs = query.length ? `?${query.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&')}` : '';
  const res = await s.call(user, `${path}${qs}`, { method: r.method.toUpperCase(), headers, ...(body !== undefined && r.method !== 'get' ? { body } : {}) });
  const text = await res.text();
  const where = `${r.method.toUpperCase()} ${path}${qs.slice(0, 200)} → ${res.status}: ${text.slice(0, 300)}`;
  expect(res.status, where).toBeLessThan(500);
  if (res.status >= 400 && res.status !== 431) {
    const b = JSON.parse(text);
    expect(Object.keys(b), where).toEqual(['error']);
    expect(typeof b.error.code, where).toBe('string');
    expect(typeof b.error.message, where).toBe('string');
    expect(typeof b.error.details, where).toBe('object');
    expect(text, where).not.toMatch(/\.ts:\d+|node_modules|at async |Binder Error|Parser Error|Catalog Error/);
  }
  return res.status;
}

let routes: AnyRoute[];
beforeAll(async () => {
  s = await startTestServer();
  await createSegment(s.wh, { name: 'de-customers', rule: { field: 'country', op: 'eq', value: 'DE' } }, { createdBy: 'test' });
  await createExport(s.wh, { segment: 'de-customers', channel: 'email', out: join(s.exportsDir, 'de.csv') });
  routes = apiRoutes({ dashboards: [] } as unknown as DashboardService, {} as never);
}, 60_000);
afterAll(async () => {
  expect(s.logs.filter((l) => l.includes('→ 5'))).toEqual([]);
  await s?.close();
});

describe('fuzzing every route', () => {
  it('read routes: only 2xx/4xx, error shape, warehouse unchanged', async () => {
    const before = await checksums();
    const statuses = new Map<number, number>();
    for (const r of routes.filter((x) => !x.writes)) {
      for (const user of ['admin', 'emeaAnalyst'] as const) {
        await fc.assert(
          fc.asyncProperty(fc.array(anyText, { minLength: 2, maxLength: 2 }), queryArb, headerArb, bodyArb, async (params, query, headers, body) => {
            const st = await send(user, r, pathOf(r, params), query, headers, body);
            statuses.set(st, (statuses.get(st) ?? 0) + 1);
          }),
          { numRuns: RUNS, seed: SEED, endOnFailure: true },
        );
      }
    }
    const after = await checksums();
    expect(Object.keys(after).filter((t) => after[t] !== before[t])).toEqual([]);
    // The fuzzer reached past validation too.
    expect(statuses.get(200) ?? 0).toBeGreaterThan(20);
    expect(statuses.get(400) ?? 0).toBeGreaterThan(20);
  }, 600_000);

  it('write routes: only 2xx/4xx and the error shape', async () => {
    for (const r of routes.filter((x) => x.writes)) {
      const key = `${r.method} ${r.path}`;
      await fc.assert(
        fc.asyncProperty(fc.array(anyText, { minLength: 2, maxLength: 2 }), queryArb, headerArb, bodyArb, async (params, query, headers, body) => {
          const b = heavy.has(key) ? JSON.stringify({ ...(() => { try { const v = JSON.parse(body); return v && typeof v === 'object' && !Array.isArray(v) ? v : {}; } catch { return {}; } })(), zz_fuzz: 1 }) : body;
          await send('admin', r, pathOf(r, params), query, { ...headers, 'content-type': 'application/json' }, b);
        }),
        { numRuns: RUNS + 5, seed: SEED, endOnFailure: true },
      );
    }
  }, 600_000);

  it('hostile headers and paths outside the routes', async () => {
    const cases: [string, RequestInit][] = [
      ['/api/v1/exports/..%2F..%2F..%2Fetc%2Fpasswd/download', {}],
      ['/api/v1/exports/1%2F..%2F..%2Fetc%2Fpasswd/download', {}],
      ['/api/v1/customers/%E0%A4%A', {}],
      ['/api/v1/%2e%2e/%2e%2e/package.json', {}],
      ['/assets/..%2F..%2Fpackage.json', {}],
      ['/vendor/..%2Fpackage.json', {}],
      ['/api/v1/customers', { headers: { authorization: 'Bearer ' + 'a'.repeat(10_000) } }],

      ['/api/v1/customers?limit=1&limit=2', {}],
      ['/api/v1/customers?q[$ne]=1', {}],
      ['/api/v1/customers?' + 'a=1&'.repeat(2000), {}],
    ];
    const anonymous = await s.call(null, '/api/v1/customers', { headers: { cookie: 'crm_session=' + 'x'.repeat(9_000) } });
    expect(anonymous.status).toBe(401);
    for (const [path, init] of cases) {
      const res = await s.call('admin', path, init);
      const text = await res.text();
      expect(res.status, `${path}: ${text.slice(0, 200)}`).toBeGreaterThanOrEqual(400);
      expect(res.status, path).toBeLessThan(500);
      expect(text).not.toContain('"name": "crm-analytics"');
      expect(text).not.toContain('root:');
    }
  });
});
