import express, { type Express } from 'express';
import { freshnessReport } from '../scheduler/freshness.ts';
import type { Warehouse } from '../warehouse/index.ts';
import { assetsDir, DashboardService, layout } from '../publish/dashboards/index.ts';
import { dashboardRoutes, type DashboardRouteOptions } from './dashboards.ts';
import { errorHandler, notFound } from './errors.ts';
import { warehouseStatus } from './status.ts';
import { statusBody } from './status-page.ts';

export interface AppOptions extends DashboardRouteOptions {
  /** Where server-side 5xx errors are logged (default: stderr). */
  log?: (line: string) => void;
  /** Folder of dashboard definitions (default: the top-level dashboards/). */
  dashboardsDir?: string;
  /** A dashboard service to share (e.g. with a scheduler); default: one over `warehouse`. */
  dashboards?: DashboardService;
  /**
   * Called before the routes are added, e.g. for auth middleware (issue 8 wraps the app this way).
   * Whatever it throws or passes to next() goes through the one error middleware.
   */
  before?: (app: Express) => void;
  /** Called after the routes and before the 404 and error middleware: extra routes. */
  extend?: (app: Express) => void;
}

const css = '<link rel="stylesheet" href="/assets/dashboard.css">';

/**
 * The Express application over one open warehouse, without listening: dashboard pages, the panel
 * data API, the status page, static assets and the one error middleware. `startServer` listens;
 * tests call it directly. Throws (VALIDATION, naming file and key) if a dashboard file is invalid.
 *
 * Routes: `GET /` (dashboards), `/dashboards/:name`, `/dashboards/:name/export.html`,
 * `/api/dashboards`, `/api/dashboards/:name`, `/api/dashboards/:name/panels/:panel` (JSON, CSV, Arrow),
 * `/status`, `/health`, `/assets/*`, `/vendor/*`.
 *
 * @example
 * const app = createApp(wh);
 * app.listen(3000);
 */
export function createApp(warehouse: Warehouse, options: AppOptions = {}): Express {
  const svc = options.dashboards ?? new DashboardService(warehouse, { dir: options.dashboardsDir });
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  options.before?.(app);

  app.use('/assets', express.static(assetsDir, { maxAge: '1h', fallthrough: false }));

  // Browsers ask for it whatever the page says; the pages carry an inline icon.
  app.get('/favicon.ico', (_req, res) => void res.status(204).end());

  // Answers 200 while the warehouse answers; stale sources show in the body ('stale'), for monitors to alert on.
  app.get('/health', async (_req, res) => {
    const freshness = await freshnessReport(warehouse);
    res.json({ status: freshness.status === 'error' ? 'stale' : 'ok', dataVersion: await warehouse.dataVersion(), freshness });
  });

  app.get('/status', async (req, res) => {
    const s = await warehouseStatus(warehouse);
    if (req.accepts(['html', 'json']) === 'json') return void res.json(s);
    const nav = svc.dashboards.map((d) => [`/dashboards/${d.name}`, d.title] as [string, string]).concat([['/status', 'Status']]);
    res.type('html').send(layout({ title: 'Warehouse status — crm-analytics', current: '/status', nav, head: css, body: `<h1>Warehouse status</h1>\n${statusBody(s)}` }));
  });

  app.use(dashboardRoutes(svc, { restrictFilters: options.restrictFilters, visible: options.visible }));

  options.extend?.(app);
  app.use(notFound);
  app.use(errorHandler(options.log));
  return app;
}
