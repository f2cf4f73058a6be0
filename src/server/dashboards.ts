import { Router, type Request } from 'express';
import { AppError } from '../errors.ts';
import {
  dashboardListBody,
  dashboardPage,
  exportHtml,
  toArrowIPC,
  toCsv,
  vendorFiles,
  type DashboardService,
  type FilterState,
} from '../publish/dashboards/index.ts';
import { layout } from '../publish/dashboards/layout.ts';

export interface DashboardRouteOptions {
  /**
   * Narrows a request's filter state before any query runs, e.g. a row rule that pins `region`
   * for a regional manager (issue 8). Runs for pages, panel data and exports alike.
   */
  restrictFilters?: (req: Request, state: FilterState) => FilterState | Promise<FilterState>;
  /** Whether the request's user may open a dashboard; the list, the navigation and /api/dashboards show only those. */
  visible?: (req: Request, dashboard: string) => boolean;
}

const ARROW = 'application/vnd.apache.arrow.stream';

/** JSON of cached panel results (without the closing brace); entries go when the cache drops the result. */
const serialised = new WeakMap<object, string>();
const css = '<link rel="stylesheet" href="/assets/dashboard.css">';

/** Query-string values as Express 5 parses them (simple parser: strings or arrays of strings). */
const q = (req: Request) => req.query as Record<string, unknown>;

/** The response format of the panel data API: `?format=` wins, then the Accept header. */
function panelFormat(req: Request): 'json' | 'csv' | 'arrow' {
  const f = q(req).format;
  if (f !== undefined) {
    if (f === 'json' || f === 'csv' || f === 'arrow') return f;
    throw new AppError('VALIDATION', `format must be json, csv or arrow (got ${JSON.stringify(f)})`, { field: 'format' });
  }
  const best = req.accepts(['application/json', 'text/csv', ARROW]);
  return best === ARROW ? 'arrow' : best === 'text/csv' ? 'csv' : 'json';
}

/**
 * Routes for the dashboards: the list, pages, panel data (JSON, CSV, Arrow IPC), the static HTML
 * export and the vendored vega builds.
 */
export function dashboardRoutes(svc: DashboardService, options: DashboardRouteOptions = {}): Router {
  const router = Router();
  const restrict = async (req: Request, state: FilterState) => (options.restrictFilters ? options.restrictFilters(req, state) : state);
  const shown = (req: Request) => (options.visible ? svc.dashboards.filter((d) => options.visible!(req, d.name)) : svc.dashboards);

  for (const [file, path] of Object.entries(vendorFiles)) {
    router.get(`/vendor/${file}`, (_req, res) => {
      res.sendFile(path, { maxAge: '1d', headers: { 'content-type': 'text/javascript; charset=utf-8' } });
    });
  }

  router.get('/', async (req, res) => {
    const asOf = await svc.asOf();
    const dashboards = shown(req);
    const body = `${dashboardListBody(dashboards)}\n<p class="as-of">Data as of ${asOf ?? 'no load recorded yet'} · <a href="/status">warehouse status</a></p>`;
    const nav = dashboards.map((d) => [`/dashboards/${d.name}`, d.title] as [string, string]).concat([['/status', 'Status']]);
    res.type('html').send(layout({ title: 'Dashboards — crm-analytics', head: css, body, nav, current: '/' }));
  });

  router.get('/dashboards/:name', async (req, res) => {
    const dashboard = svc.get(req.params.name);
    const state = await restrict(req, await svc.filters(dashboard, q(req)));
    const [options, dataAsOf, dataVersion] = await Promise.all([svc.options(dashboard), svc.asOf(), svc.version()]);
    res.type('html').send(dashboardPage({ dashboard, dashboards: shown(req), state, options, dataAsOf, dataVersion, mode: 'server' }));
  });

  router.get('/dashboards/:name/export.html', async (req, res) => {
    const dashboard = svc.get(req.params.name);
    const state = await restrict(req, await svc.filters(dashboard, q(req)));
    const html = await exportHtml(svc, dashboard, state);
    res.attachment(`${dashboard.name}.html`).type('html').send(html);
  });

  router.get('/api/dashboards', (req, res) => {
    res.json({
      dashboards: shown(req).map((d) => ({ name: d.name, title: d.title, description: d.description, filters: d.filters, kpis: d.kpis.map((k) => k.id), panels: d.panels.map((p) => p.id) })),
    });
  });

  router.get('/api/dashboards/:name', async (req, res) => {
    const d = svc.get(req.params.name);
    const state = await restrict(req, await svc.filters(d, q(req)));
    res.json({
      name: d.name,
      title: d.title,
      description: d.description,
      filters: d.filters,
      state,
      options: await svc.options(d),
      dataAsOf: await svc.asOf(),
      kpis: d.kpis.map((k) => ({ id: k.id, title: k.title, description: k.description, format: k.format, better: k.better })),
      panels: d.panels.map((p) => ({ id: p.id, kind: p.kind, title: p.title, description: p.description })),
    });
  });

  router.get('/api/dashboards/:name/panels/:panel', async (req, res) => {
    const d = svc.get(req.params.name);
    const format = panelFormat(req);
    const state = await restrict(req, await svc.filters(d, q(req), ['format']));
    const result = await svc.panel(d, req.params.panel, state);
    res.set('x-data-version', String(result.dataVersion));
    res.set('cache-control', 'no-cache');
    if (format === 'csv') {
      res.attachment(`${d.name}-${result.panel}.csv`).type('text/csv; charset=utf-8');
      return void res.send(toCsv(result.columns.map((c) => c.name), result.rows));
    }
    if (format === 'arrow') {
      res.type(ARROW);
      return void res.send(Buffer.from(toArrowIPC(result.columns, result.rows)));
    }
    // The result object is cached and immutable: serialise it once, then add this request's filter echo.
    let body = serialised.get(result);
    if (body === undefined) serialised.set(result, (body = JSON.stringify(result).slice(0, -1)));
    res.type('application/json').send(`${body},"filters":${JSON.stringify(state)}}`);
  });

  return router;
}

