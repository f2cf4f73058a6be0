import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditRows, revokeToken, updateUser } from '../../../src/server/auth/index.ts';
import { startServer } from '../../../src/server/index.ts';
import { by, startTestServer, type TestServer } from '../api/setup.ts';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(async () => s?.close());

describe('authentication', () => {
  it('answers 401 with the error shape and WWW-Authenticate without a token', async () => {
    const res = await s.call(null, '/api/v1/customers');
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(await res.json()).toEqual({ error: { code: 'UNAUTHORIZED', message: expect.any(String), details: {} } });
  });

  it('accepts a live token and says who it is', async () => {
    const res = await s.call('emeaAnalyst', '/api/v1/me');
    expect(res.status).toBe(200);
    const me = await res.json();
    expect(me).toMatchObject({ user: 'emea-ana', role: 'analyst', rowRule: { region: 'EMEA', rep: null }, via: 'token' });
    expect(me.permissions).toContain('customers:read');
    expect(me.permissions).not.toContain('pii:read');
  });

  it('rejects malformed, unknown and tokens in other schemes', async () => {
    for (const header of ['Bearer nope', `Bearer crm_${'A'.repeat(43)}`, `Basic ${s.tokens.admin}`, `Bearer ${s.tokens.admin}x`]) {
      const res = await fetch(`${s.url}/api/v1/me`, { headers: { authorization: header } });
      expect(res.status, header).toBe(401);
    }
  });

  it('stores only the hash of a token', async () => {
    const rows = await s.wh.all<{ token_hash: string }>('select token_hash from auth_tokens');
    const all = JSON.stringify(await s.wh.all('select * from auth_tokens'));
    for (const t of Object.values(s.tokens)) expect(all).not.toContain(t.slice(4));
    expect(rows.every((r) => /^[0-9a-f]{64}$/.test(r.token_hash))).toBe(true);
  });

  it('stops a revoked token and a disabled user at once, and audits both changes', async () => {
    const { createToken } = await import('../../../src/server/auth/index.ts');
    const { token, row } = await createToken(s.wh, { user: 'erin', label: 'temp' }, by);
    expect((await fetch(`${s.url}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    await revokeToken(s.wh, row.token_id, by);
    expect((await fetch(`${s.url}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(401);
    await updateUser(s.wh, 'olga', { disabled: true }, by);
    expect((await s.call('ops', '/api/v1/me')).status).toBe(401);
    await updateUser(s.wh, 'olga', { disabled: false, role: 'ops' }, by);
    expect((await s.call('ops', '/api/v1/me')).status).toBe(200);
    const events = await auditRows(s.wh, { actor: 'test' });
    expect(events.map((e) => e.action)).toEqual(expect.arrayContaining(['token.revoke', 'user.disable', 'user.enable', 'token.create', 'user.create']));
    expect(JSON.stringify(events)).not.toContain(token);
  });

  it('a token revoked or a user disabled through the API stops at once, although token checks are cached', async () => {
    const made = await (await s.call('admin', '/api/v1/tokens', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: 'ana', label: 'cache' }) })).json();
    const use = () => fetch(`${s.url}/api/v1/me`, { headers: { authorization: `Bearer ${made.token}` } });
    expect((await use()).status).toBe(200);
    expect((await use()).status).toBe(200);
    expect((await s.call('admin', `/api/v1/tokens/${made.token_id}`, { method: 'DELETE' })).status).toBe(200);
    expect((await use()).status).toBe(401);
    expect((await s.call('analyst', '/api/v1/me')).status).toBe(200);
    const patch = (body: unknown) => s.call('admin', '/api/v1/users/ana', { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await patch({ disabled: true })).status).toBe(200);
    expect((await s.call('analyst', '/api/v1/me')).status).toBe(401);
    expect((await patch({ disabled: false, region: 'AMER' })).status).toBe(200);
    expect((await (await s.call('analyst', '/api/v1/me')).json()).rowRule).toEqual({ region: 'AMER', rep: null });
    expect((await patch({ region: null })).status).toBe(200);
  });

  it('an expired token is refused', async () => {
    const { createToken } = await import('../../../src/server/auth/index.ts');
    const { token, row } = await createToken(s.wh, { user: 'erin', days: 1 }, by);
    await s.wh.run("update auth_tokens set expires_at = now() - interval 1 minute where token_id = $id", { id: row.token_id });
    expect((await fetch(`${s.url}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(401);
  });
});

describe('dashboard sessions', () => {
  it('sends a browser without a session to the login page, and back after login', async () => {
    const page = await fetch(`${s.url}/dashboards/executive?region=EMEA`, { redirect: 'manual', headers: { accept: 'text/html' } });
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/login?next=%2Fdashboards%2Fexecutive%3Fregion%3DEMEA');
    const form = await fetch(`${s.url}/login?next=%2Fdashboards%2Fexecutive`);
    expect(form.status).toBe(200);
    expect(await form.text()).toContain('name="token"');

    const bad = await fetch(`${s.url}/login`, { method: 'POST', redirect: 'manual', body: new URLSearchParams({ token: 'crm_wrong', next: '/' }) });
    expect(bad.status).toBe(401);

    const ok = await fetch(`${s.url}/login`, { method: 'POST', redirect: 'manual', body: new URLSearchParams({ token: s.tokens.exec, next: '/dashboards/executive' }) });
    expect(ok.status).toBe(303);
    expect(ok.headers.get('location')).toBe('/dashboards/executive');
    const cookie = ok.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^crm_session=crs_[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict/);
    const session = cookie.split(';')[0];

    const dash = await fetch(`${s.url}/dashboards/executive`, { headers: { cookie: session, accept: 'text/html' } });
    expect(dash.status).toBe(200);
    const me = await (await fetch(`${s.url}/api/v1/me`, { headers: { cookie: session } })).json();
    expect(me).toMatchObject({ user: 'erin', via: 'session' });

    // A session may read, not change: changes need a token (no cross-site request forgery).
    const post = await fetch(`${s.url}/api/v1/segments/preview`, { method: 'POST', headers: { cookie: session, 'content-type': 'application/json' }, body: '{"name":"win-back"}' });
    expect(post.status).toBe(403);

    const out = await fetch(`${s.url}/logout`, { method: 'POST', redirect: 'manual', headers: { cookie: session } });
    expect(out.status).toBe(303);
    expect((await fetch(`${s.url}/api/v1/me`, { headers: { cookie: session } })).status).toBe(401);
    const actions = (await auditRows(s.wh, { actor: 'erin' })).map((e) => e.action);
    expect(actions).toContain('login');
  });

  it('only redirects to same-site paths after login', async () => {
    for (const next of ['//evil.example/x', 'https://evil.example', '/\\evil.example', 'javascript:alert(1)']) {
      const ok = await fetch(`${s.url}/login`, { method: 'POST', redirect: 'manual', body: new URLSearchParams({ token: s.tokens.exec, next }) });
      expect(ok.headers.get('location'), next).toBe('/');
    }
  });

  it('keeps a role out of dashboards it may not open', async () => {
    expect((await s.call('marketing', '/api/dashboards/marketing')).status).toBe(200);
    expect((await s.call('marketing', '/api/dashboards/executive')).status).toBe(403);
    expect((await s.call('ops', '/dashboards/ops')).status).toBe(200);
    expect((await s.call('ops', '/dashboards/sales')).status).toBe(403);
    expect((await s.call('marketing', '/status', { headers: { accept: 'application/json' } })).status).toBe(403);
    expect((await s.call('ops', '/status', { headers: { accept: 'application/json' } })).status).toBe(200);
  });

  it('lists only the dashboards a role may open, on the index, in the navigation and in /api/dashboards', async () => {
    const list = async (role: 'marketing' | 'admin') => ((await (await s.call(role, '/api/dashboards')).json()) as { dashboards: { name: string }[] }).dashboards.map((d) => d.name);
    expect(await list('marketing')).toEqual(['marketing']);
    expect((await list('admin')).length).toBeGreaterThan(1);
    const index = await (await s.call('marketing', '/')).text();
    expect(index).toContain('/dashboards/marketing');
    expect(index).not.toContain('/dashboards/executive');
    const page = await (await s.call('marketing', '/dashboards/marketing')).text();
    expect(page).not.toContain('href="/dashboards/sales"');
  });

  it('leaves /health and static assets public', async () => {
    expect((await fetch(`${s.url}/health`)).status).toBe(200);
    expect((await fetch(`${s.url}/assets/dashboard.css`)).status).toBe(200);
  });
});

describe('hardening', () => {
  it('sets security headers and no-store on the API', async () => {
    const res = await s.call('admin', '/api/v1/me');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('x-powered-by')).toBeNull();
  });

  it('refuses bodies over the limit with 413 and the error shape', async () => {
    const res = await s.call('admin', '/api/v1/segments/preview', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'x'.repeat(100_000) }) });
    expect(res.status).toBe(413);
    expect((await res.json()).error.code).toBe('VALIDATION');
  });

  it('never binds beyond loopback without auth', async () => {
    await expect(startServer({ warehouse: s.wh, port: 0, host: '0.0.0.0' })).rejects.toThrow(/loopback/);
    await expect(startServer({ warehouse: s.wh, port: 0, host: '0.0.0.0', auth: 'open' })).rejects.toThrow(/loopback/);
  });

  it('rate-limits per token with 429 and Retry-After', async () => {
    const limited = await startTestServer({ access: { rateLimit: { perSecond: 1, burst: 5 } } });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 8; i++) statuses.push((await limited.call('admin', '/api/v1/me')).status);
      expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
      expect(statuses.slice(5)).toEqual([429, 429, 429]);
      const res = await limited.call('admin', '/api/v1/me');
      expect(res.headers.get('retry-after')).toBe('1');
      expect((await res.json()).error.code).toBe('RATE_LIMITED');
      // Another token has its own bucket.
      expect((await limited.call('exec', '/api/v1/me')).status).toBe(200);
    } finally {
      await limited.close();
    }
  });

  it('slows down guessing: repeated wrong tokens from one address get 429 (default limit)', async () => {
    const guarded = await startTestServer({ access: { failedAuthLimit: undefined } });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 12; i++) statuses.push((await fetch(`${guarded.url}/api/v1/me`, { headers: { authorization: `Bearer crm_${String(i).padStart(43, 'x')}` } })).status);
      expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
      expect(statuses.slice(10)).toEqual([429, 429]);
      // The right token still works from the same address.
      expect((await guarded.call('admin', '/api/v1/me')).status).toBe(200);
      const denied = await guarded.wh.all<{ n: number }>("select count(*) as n from audit_log where action = 'auth.failed'");
      expect(denied[0].n).toBe(10);
    } finally {
      await guarded.close();
    }
  });
});
