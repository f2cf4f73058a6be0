/**
 * Route × role: every /api/v1 route declared (apiRoutes) is called by every role with an input that
 * succeeds for the roles the matrix allows; allowed roles get 2xx, the others 403 with the error shape.
 * The list of routes comes from the same declarations the server uses, so a new route cannot skip this.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExport } from '../../../src/publish/exports/index.ts';
import { createSegment } from '../../../src/models/segments/index.ts';
import { DashboardService } from '../../../src/publish/dashboards/index.ts';
import { apiRoutes } from '../../../src/server/api/index.ts';
import { can, canSeeDashboard, createAccess, createToken, roles, type Role } from '../../../src/server/auth/index.ts';
import { startTestServer, by, type TestServer, type UserKey } from './setup.ts';

let s: TestServer;
let exportId: number;
const roleUser: Record<Role, UserKey> = { admin: 'admin', ops: 'ops', marketing: 'marketing', exec: 'exec', analyst: 'analyst' };

beforeAll(async () => {
  const jobsFile = join(process.env.TMPDIR ?? '/tmp', `crm-matrix-jobs-${process.pid}.json`);
  writeFileSync(jobsFile, JSON.stringify({ timezone: 'UTC', jobs: { tiny: { cron: '0 3 * * *', steps: [{ name: 'noop', type: 'exec', command: ['true'] }] } } }));
  s = await startTestServer({ access: { jobsFile } });
  await createSegment(s.wh, { name: 'de-customers', rule: { field: 'country', op: 'eq', value: 'DE' } }, { createdBy: 'test' });
  exportId = (await createExport(s.wh, { segment: 'de-customers', channel: 'email', out: join(s.exportsDir, 'de.csv') })).exportId;
  const trigger = await s.call('admin', '/api/v1/jobs/tiny/trigger', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  expect(trigger.status).toBe(202);
  await s.wh.run(`insert into model_runs (run_id, model, status, as_of_date, started_at, summary) values (7, 'clv', 'succeeded', '2026-06-30', '2026-07-01T00:00:00Z', 'fixture run')`);
}, 60_000);
afterAll(async () => s?.close());

interface Call {
  path: string;
  body?: unknown;
}

/** An input for each route that succeeds for an allowed role. */
async function callFor(method: string, path: string, role: Role): Promise<Call> {
  const dash = ['executive', 'marketing', 'ops'].find((d) => canSeeDashboard(role, d)) ?? 'ops';
  const calls: Record<string, () => Promise<Call> | Call> = {
    'get /customers': () => ({ path: '/customers?q=1' }),
    'get /customers/:id': () => ({ path: '/customers/1' }),
    'get /segments': () => ({ path: '/segments' }),
    'get /segments/:name': () => ({ path: '/segments/de-customers' }),
    'post /segments': () => ({ path: '/segments', body: { name: `seg-${role}`, rule: { field: 'country', op: 'eq', value: 'FR' } } }),
    'put /segments/:name': () => ({ path: '/segments/de-customers', body: { rule: { field: 'country', op: 'eq', value: 'DE' }, description: `by ${role}` } }),
    'post /segments/preview': () => ({ path: '/segments/preview', body: { definition: { name: 'gb', rule: { field: 'country', op: 'eq', value: 'GB' } } } }),
    'get /segments/:name/members': () => ({ path: '/segments/de-customers/members' }),
    'get /exports': () => ({ path: '/exports' }),
    'get /exports/:id': () => ({ path: `/exports/${exportId}` }),
    'post /exports': () => ({ path: '/exports', body: { segment: 'de-customers', channel: 'email', format: 'csv' } }),
    'get /exports/:id/download': () => ({ path: `/exports/${exportId}/download` }),
    'get /reports': () => ({ path: '/reports' }),
    'get /reports/:name': () => ({ path: '/reports/sales?from=2026-01-01&to=2026-06-30&groupBy=region' }),
    'post /reports/:name': () => ({ path: '/reports/sales', body: { from: '2026-01-01', to: '2026-06-30', groupBy: ['country'] } }),
    'get /models': () => ({ path: '/models' }),
    'get /models/runs': () => ({ path: '/models/runs' }),
    'get /models/runs/:id': () => ({ path: '/models/runs/7' }),
    'post /models/run': () => ({ path: '/models/run', body: { models: ['retention'], asOf: '2026-06-30' } }),
    'get /pipelines/runs': () => ({ path: '/pipelines/runs' }),
    'get /jobs': () => ({ path: '/jobs' }),
    'get /jobs/runs': () => ({ path: '/jobs/runs' }),
    'get /jobs/runs/:id': async () => {
      const [r] = await s.wh.all<{ id: number }>('select max(job_run_id) as id from job_runs');
      return { path: `/jobs/runs/${r.id ?? 999}` };
    },
    'post /jobs/:name/trigger': () => ({ path: '/jobs/tiny/trigger', body: {} }),
    'get /dashboards': () => ({ path: '/dashboards' }),
    'get /dashboards/:name/panels/:panel': () => ({ path: `/dashboards/${dash}/panels/${dash === 'executive' ? 'revenue' : dash === 'marketing' ? 'new_customers' : 'runs'}` }),
    'get /users': () => ({ path: '/users' }),
    'post /users': () => ({ path: '/users', body: { name: `new-${role}`, role: 'analyst', region: 'EMEA' } }),
    'patch /users/:name': () => ({ path: '/users/erin', body: { role: 'exec' } }),
    'get /tokens': () => ({ path: '/tokens' }),
    'post /tokens': () => ({ path: '/tokens', body: { user: 'erin', days: 1 } }),
    'delete /tokens/:id': async () => ({ path: `/tokens/${(await createToken(s.wh, { user: 'erin' }, by)).row.token_id}` }),
    'get /audit': () => ({ path: '/audit' }),
  };
  const f = calls[`${method} ${path}`];
  if (!f) throw new Error(`no sample call for ${method} ${path}: add one`);
  return f();
}

describe('route × role matrix', () => {
  it('has a sample call for every declared route', async () => {
    const svc = new DashboardService(s.wh);
    const routes = apiRoutes(svc, createAccess(s.wh, svc, { mode: 'required' }));
    expect(routes.length).toBeGreaterThanOrEqual(30);
    for (const r of routes) await expect(callFor(r.method, r.path, 'admin')).resolves.toBeTruthy();
  });

  const svc0 = { dashboards: [] } as unknown as DashboardService;
  const declared = apiRoutes(svc0, { restrictFilters: () => async (_r: unknown, st: unknown) => st } as never);
  for (const r of declared) {
    for (const role of roles) {
      const allowed = can(role, r.permission);
      it(`${r.method.toUpperCase()} ${r.path} as ${role}: ${allowed ? 'allowed' : 'denied'}`, async () => {
        const c = await callFor(r.method, r.path, role);
        const res = await s.call(roleUser[role], `/api/v1${c.path}`, {
          method: r.method.toUpperCase(),
          ...(c.body !== undefined ? { body: JSON.stringify(c.body), headers: { 'content-type': 'application/json' } } : {}),
        });
        const text = await res.text();
        if (allowed) {
          expect(res.status, text).toBeGreaterThanOrEqual(200);
          expect(res.status, text).toBeLessThan(300);
        } else {
          expect(res.status, text).toBe(403);
          expect(JSON.parse(text)).toEqual({ error: { code: 'FORBIDDEN', message: expect.stringContaining(r.permission), details: { permission: r.permission, role } } });
        }
      }, 60_000);
    }
  }

  for (const role of roles) {
    it(`dashboard pages, their data and /status as ${role}`, async () => {
      for (const d of ['executive', 'marketing', 'sales', 'service', 'ops']) {
        const expected = canSeeDashboard(role, d) ? 200 : 403;
        expect((await s.call(roleUser[role], `/dashboards/${d}`, { headers: { accept: 'text/html' } })).status, `${role} /dashboards/${d}`).toBe(expected);
        expect((await s.call(roleUser[role], `/api/dashboards/${d}`)).status, `${role} /api/dashboards/${d}`).toBe(expected);
        expect((await s.call(roleUser[role], `/dashboards/${d}/export.html`)).status, `${role} export.html ${d}`).toBe(expected);
      }
      expect((await s.call(roleUser[role], '/status', { headers: { accept: 'application/json' } })).status).toBe(can(role, 'status:read') ? 200 : 403);
      expect((await s.call(roleUser[role], '/')).status).toBe(200);
    }, 60_000);
  }

  it('records denials in the audit log', async () => {
    const [row] = await s.wh.all<{ n: number }>("select count(*) as n from audit_log where action = 'access.denied' and actor = 'olga'");
    expect(row.n).toBeGreaterThan(5);
  });
});
