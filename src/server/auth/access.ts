/**
 * The access layer in front of every route: security headers, who is asking (API token or dashboard
 * session), rate limits, the login page, and guards for the dashboard and status routes. The /api/v1
 * routes check their own permission (src/server/api/route.ts) from the same matrix.
 */
import express, { type Express, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { AppError } from '../../errors.ts';
import { escapeHtml, layout, toArrowIPC, toCsv, type DashboardService, type FilterState } from '../../publish/dashboards/index.ts';
import type { Warehouse } from '../../warehouse/index.ts';
import { audit, type AuditActor } from './audit.ts';
import { PiiMasker } from './mask.ts';
import { RateLimiter, type RateLimitOptions } from './rate-limit.ts';
import { can, canSeeDashboard, type Permission } from './roles.ts';
import { createSession, endSession, maskingKey, principalForSession, principalForToken, type Principal } from './store.ts';

export type AuthMode = 'open' | 'required';

export interface AccessOptions {
  /**
   * 'required' (what `crm serve` uses): every route but /health, /login and static assets needs an API
   * token or a dashboard session. 'open': no login, everybody is an admin — for the local demo only;
   * `startServer` refuses to bind anything but a loopback address in this mode.
   */
  mode: AuthMode;
  /** Per token (or per client address before login); default 20/s, bursts of 60 in 'required' mode, off in 'open'. */
  rateLimit?: RateLimitOptions | false;
  /** Wrong tokens per client address (default 10 at once, then one per 5 s); false: no limit (tests). */
  failedAuthLimit?: RateLimitOptions | false;
  /** Dashboard session lifetime (default 12 hours). */
  sessionHours?: number;
}

const SESSION_COOKIE = 'crm_session';
const principals = new WeakMap<Request, Principal>();
const openPrincipal: Principal = { user: 'open', role: 'admin', rowRule: { region: null, rep: null }, tokenId: null, via: 'open' };

/** Who the request runs as; set by the access layer before any route runs. */
export function principalOf(req: Request): Principal {
  const p = principals.get(req);
  if (!p) throw new AppError('UNAUTHORIZED', 'sign in: send an API token (Authorization: Bearer crm_…) or log in at /login');
  return p;
}

/** The audit actor of a request: user, role, client address, user agent. */
export function actorOf(req: Request): AuditActor {
  const p = principals.get(req);
  return { actor: p?.user ?? 'anonymous', role: p?.role ?? null, source: req.ip ?? req.socket.remoteAddress ?? 'unknown', userAgent: req.get('user-agent') ?? null };
}

/** Throws FORBIDDEN (and records the denial) unless the request's role has `permission`. */
export function requirePermission(wh: Warehouse, req: Request, permission: Permission): Principal {
  const p = principalOf(req);
  if (!can(p.role, permission)) throw denied(wh, req, `role ${p.role} may not do this (needs ${permission})`, { permission, role: p.role });
  return p;
}

/** Throws FORBIDDEN (and records the denial) unless the request's role may open the dashboard. */
export function requireDashboard(wh: Warehouse, req: Request, dashboard: string): void {
  const p = requirePermission(wh, req, 'dashboards:read');
  if (!canSeeDashboard(p.role, dashboard)) throw denied(wh, req, `role ${p.role} may not open the ${dashboard} dashboard`, { dashboard, role: p.role });
}

/** A FORBIDDEN error, with an `access.denied` row in the audit log. */
function denied(wh: Warehouse, req: Request, message: string, details: Record<string, unknown>): AppError {
  void audit(wh, actorOf(req), { action: 'access.denied', target: `${req.method} ${req.path}`.slice(0, 300), outcome: 'denied', details }).catch(() => undefined);
  return new AppError('FORBIDDEN', message, details);
}

function cookie(req: Request, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header || header.length > 8192) return undefined;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}

/** Security headers: no sniffing, no framing, no referrer; API responses may not run anything at all. */
export const securityHeaders: RequestHandler = (req, res, next) => {
  res.set({
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    'permissions-policy': 'camera=(), microphone=(), geolocation=()',
  });
  if (req.path.startsWith('/api/')) {
    res.set('content-security-policy', "default-src 'none'; frame-ancestors 'none'");
    res.set('cache-control', 'no-store');
  } else {
    res.set('content-security-policy', "frame-ancestors 'none'; object-src 'none'; base-uri 'self'; form-action 'self'");
  }
  next();
};

/** Where a page may send the browser back to after login: same-site paths only. */
export function safeNext(next: unknown): string {
  return typeof next === 'string' && /^\/(?![/\\])[\x21-\x7e]*$/.test(next) && next.length < 1000 ? next : '/';
}

const isPublic = (path: string) =>
  path === '/health' || path === '/favicon.ico' || path === '/login' || path === '/logout' || path.startsWith('/assets/') || path.startsWith('/vendor/');

function loginPage(message: string | null, next: string): string {
  const body = `<h1>Sign in</h1>
<form method="post" action="/login" class="login">
<p>Paste an API token (<code>crm token create --user NAME</code> makes one).</p>
${message ? `<p class="error" role="alert">${escapeHtml(message)}</p>` : ''}
<input type="hidden" name="next" value="${escapeHtml(next)}">
<label>Token <input type="password" name="token" autocomplete="off" required maxlength="200"></label>
<button type="submit">Sign in</button>
</form>`;
  return layout({ title: 'Sign in — crm-analytics', head: '<link rel="stylesheet" href="/assets/dashboard.css">', body });
}

/** The dashboard name a legacy dashboard route is about, if any. */
function dashboardOf(path: string): string | null {
  const m = /^\/(?:api\/)?dashboards\/([^/]+)/.exec(path);
  if (!m) return null;
  try {
    return decodeURIComponent(m[1]);
  } catch {
    return m[1];
  }
}

export interface Access {
  /** Adds the layer to an app, before its routes. */
  install(app: Express): void;
  /** Narrows dashboard filters to the user's row rule (composed with any other restriction). */
  restrictFilters(inner?: (req: Request, state: FilterState) => FilterState | Promise<FilterState>): (req: Request, state: FilterState) => Promise<FilterState>;
  /** The PII masker for a request: null when the role may read personal data. */
  masker(req: Request): Promise<PiiMasker | null>;
  mode: AuthMode;
}

/**
 * The access layer over a warehouse and its dashboards. `install(app)` adds (before any route): headers,
 * authentication, rate limits, /login and /logout, guards on the dashboard and status routes, masked panel data.
 */
export function createAccess(wh: Warehouse, svc: DashboardService, options: AccessOptions): Access {
  const mode = options.mode;
  const limiter = options.rateLimit === false || (options.rateLimit === undefined && mode === 'open') ? null : new RateLimiter(options.rateLimit ?? { perSecond: 20, burst: 60 });
  // Wrong tokens: 10 at once per client address, then one every 5 s.
  const failures = options.failedAuthLimit === false ? null : new RateLimiter(options.failedAuthLimit ?? { perSecond: 0.2, burst: 10 });
  const sessionHours = options.sessionHours ?? 12;
  let masker: Promise<PiiMasker> | null = null;
  const getMasker = () =>
    (masker ??= maskingKey(wh)
      .then((k) => new PiiMasker(k))
      .catch((e) => {
        masker = null;
        throw e;
      }));
  // The masking key is made now, so that a masked read never writes to the warehouse.
  getMasker().catch(() => undefined);

  const tooMany = (res: Response, seconds: number, what: string) => {
    res.set('retry-after', String(seconds));
    res.status(429).json({ error: { code: 'RATE_LIMITED', message: `${what}; retry in ${seconds} s`, details: { retryAfterSeconds: seconds } } });
  };
  const clientIp = (req: Request) => req.ip ?? req.socket.remoteAddress ?? 'unknown';

  const restrictFilters: Access['restrictFilters'] = (inner) => async (req, state) => {
    const s = inner ? await inner(req, state) : state;
    const rule = principalOf(req).rowRule;
    return { ...s, region: rule.region ?? s.region, rep: rule.rep ?? s.rep };
  };
  const maskerFor: Access['masker'] = async (req) => (can(principalOf(req).role, 'pii:read') ? null : getMasker());

  const install = (app: Express) => {
    app.use(securityHeaders);

    // Who is asking: a bearer token, else a session cookie. Never a token in the URL (it would end up in logs).
    app.use(async (req: Request, res: Response, next: NextFunction) => {
      try {
        if (mode === 'open') {
          principals.set(req, openPrincipal);
          return next();
        }
        const auth = req.get('authorization');
        let p: Principal | null = null;
        let presented = false;
        if (auth !== undefined) {
          presented = true;
          const m = /^Bearer ([^\s]{1,200})$/i.exec(auth.trim());
          p = m ? await principalForToken(wh, m[1]) : null;
        } else {
          const sid = cookie(req, SESSION_COOKIE);
          if (sid) {
            presented = true;
            p = await principalForSession(wh, sid);
            // A session is for the pages and their GET requests; changes need a token (no cross-site forgery).
            if (p && req.method !== 'GET' && req.method !== 'HEAD' && req.path.startsWith('/api/'))
              throw new AppError('FORBIDDEN', 'changes through the API need an API token (Authorization: Bearer …), not a browser session');
          }
        }
        if (presented && !p) {
          const wait = failures?.take(clientIp(req));
          if (wait) return tooMany(res, wait, 'too many failed sign-ins from this address');
          void audit(wh, actorOf(req), { action: 'auth.failed', target: req.path.slice(0, 300), outcome: 'denied', details: { via: auth !== undefined ? 'token' : 'session' } }).catch(() => undefined);
          if (auth === undefined) res.append('set-cookie', `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`);
        }
        if (p) principals.set(req, p);
        if (limiter) {
          const wait = limiter.take(p ? `token:${p.tokenId}` : `ip:${clientIp(req)}`);
          if (wait) return tooMany(res, wait, 'rate limit reached');
        }
        if (p || isPublic(req.path)) return next();
        if (req.path.startsWith('/api/') || req.accepts(['json', 'html']) !== 'html') {
          res.set('www-authenticate', 'Bearer realm="crm-analytics"');
          throw new AppError('UNAUTHORIZED', presented ? 'the token or session is unknown, expired or revoked' : 'sign in: send an API token (Authorization: Bearer crm_…) or log in at /login');
        }
        res.redirect(303, `/login?next=${encodeURIComponent(safeNext(req.originalUrl))}`);
      } catch (e) {
        next(e);
      }
    });

    app.get('/login', (req, res) => {
      if (mode === 'open') return void res.redirect(303, '/');
      res.type('html').send(loginPage(null, safeNext(req.query.next)));
    });

    app.post('/login', express.urlencoded({ extended: false, limit: '4kb', parameterLimit: 10 }), async (req, res, next) => {
      try {
        if (mode === 'open') return void res.redirect(303, '/');
        const origin = req.get('origin');
        if (origin && origin !== `${req.protocol}://${req.get('host')}`) throw new AppError('FORBIDDEN', 'sign-in from another site is refused');
        const body = (req.body ?? {}) as Record<string, unknown>;
        const token = typeof body.token === 'string' ? body.token.trim() : '';
        const next_ = safeNext(body.next);
        const p = token ? await principalForToken(wh, token) : null;
        if (!p) {
          const wait = failures?.take(clientIp(req));
          if (wait) return tooMany(res, wait, 'too many failed sign-ins from this address');
          await audit(wh, actorOf(req), { action: 'login.failed', outcome: 'denied' });
          return void res.status(401).type('html').send(loginPage('That token is unknown, expired or revoked.', next_));
        }
        const sid = await createSession(wh, p, { hours: sessionHours, ip: clientIp(req) });
        await audit(wh, { ...actorOf(req), actor: p.user, role: p.role }, { action: 'login', target: p.user, details: { tokenId: p.tokenId } });
        res.append('set-cookie', `${SESSION_COOKIE}=${sid}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${sessionHours * 3600}${req.secure ? '; Secure' : ''}`);
        res.redirect(303, next_);
      } catch (e) {
        next(e);
      }
    });

    app.post('/logout', async (req, res, next) => {
      try {
        const sid = cookie(req, SESSION_COOKIE);
        if (sid) await endSession(wh, sid);
        res.append('set-cookie', `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`);
        res.redirect(303, '/login');
      } catch (e) {
        next(e);
      }
    });

    // Guards for the routes that are not under /api/v1 (those check their own permission).
    app.use((req, _res, next) => {
      try {
        const path = req.path;
        if (isPublic(path) || path.startsWith('/api/v1/') || path === '/api/v1') return next();
        if (path === '/status') requirePermission(wh, req, 'status:read');
        else if (path === '/' || path === '/api/dashboards' || path.startsWith('/dashboards/') || path.startsWith('/api/dashboards/')) {
          const name = dashboardOf(path);
          if (name === null) requirePermission(wh, req, 'dashboards:read');
          else requireDashboard(wh, req, name);
        }
        next();
      } catch (e) {
        next(e);
      }
    });

    // Panel data for roles without PII rights: the same answer as the dashboard route, masked.
    app.get('/api/dashboards/:name/panels/:panel', async (req, res, next) => {
      try {
        const m = await maskerFor(req);
        if (!m) return next();
        const d = svc.get(req.params.name);
        const query = req.query as Record<string, unknown>;
        const format = query.format ?? (req.accepts(['application/json', 'text/csv', 'application/vnd.apache.arrow.stream']) === 'application/vnd.apache.arrow.stream' ? 'arrow' : req.accepts(['application/json', 'text/csv']) === 'text/csv' ? 'csv' : 'json');
        if (format !== 'json' && format !== 'csv' && format !== 'arrow') throw new AppError('VALIDATION', `format must be json, csv or arrow (got ${JSON.stringify(format)})`, { field: 'format' });
        const state = await restrictFilters()(req, await svc.filters(d, query, ['format']));
        const result = await svc.panel(d, req.params.panel, state);
        const rows = m.rows(result.rows);
        res.set('x-data-version', String(result.dataVersion));
        if (format === 'csv') return void res.attachment(`${d.name}-${result.panel}.csv`).type('text/csv; charset=utf-8').send(toCsv(result.columns.map((c) => c.name), rows));
        if (format === 'arrow') return void res.type('application/vnd.apache.arrow.stream').send(Buffer.from(toArrowIPC(result.columns, rows)));
        res.json({ ...result, rows, filters: state });
      } catch (e) {
        next(e);
      }
    });
  };

  return { install, mode, restrictFilters, masker: maskerFor };
}
