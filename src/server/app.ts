import express, { type Express } from 'express';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Warehouse } from '../warehouse/index.ts';
import { layout } from '../publish/dashboards/layout.ts';
import { errorHandler, notFound } from './errors.ts';
import { warehouseStatus } from './status.ts';
import { statusBody } from './status-page.ts';

export interface AppOptions {
  /** Where server-side 5xx errors are logged (default: stderr). */
  log?: (line: string) => void;
  /**
   * Called before the routes are added, e.g. for auth middleware (issue 8 wraps the app this way).
   * Whatever it throws or passes to next() goes through the one error middleware.
   */
  before?: (app: Express) => void;
  /** Called after the routes and before the 404 and error middleware: extra routes. */
  extend?: (app: Express) => void;
}

export const assetsDir = join(dirname(fileURLToPath(import.meta.url)), '../publish/dashboards/assets');

/**
 * The Express application over one open warehouse, without listening: pages, the panel data API,
 * static assets, and the one error middleware. `startServer` listens; tests call it directly.
 *
 * @example
 * const app = createApp(wh);
 * app.listen(3000);
 */
export function createApp(warehouse: Warehouse, options: AppOptions = {}): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  options.before?.(app);

  app.use('/assets', express.static(assetsDir, { maxAge: '1h', fallthrough: false }));

  app.get('/health', async (_req, res) => {
    const [{ ok }] = await warehouse.all<{ ok: number }>('select 1 as ok');
    res.json({ status: ok === 1 ? 'ok' : 'degraded', dataVersion: await warehouse.dataVersion() });
  });

  app.get('/status', async (_req, res) => {
    const s = await warehouseStatus(warehouse);
    if (_req.accepts(['html', 'json']) === 'json') return void res.json(s);
    res.type('html').send(layout({ title: 'Warehouse status', current: '/status', nav: [['/status', 'Status']], head: css, body: `<h1>Warehouse status</h1>\n${statusBody(s)}` }));
  });

  app.get('/', async (_req, res) => {
    const s = await warehouseStatus(warehouse);
    res.type('html').send(layout({ title: 'crm-analytics', current: '/', nav: [['/status', 'Status']], head: css, body: `<h1>crm-analytics</h1>\n${statusBody(s)}` }));
  });

  options.extend?.(app);
  app.use(notFound);
  app.use(errorHandler(options.log));
  return app;
}

const css = '<link rel="stylesheet" href="/assets/dashboard.css">';
