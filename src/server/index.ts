import type { AddressInfo } from 'node:net';
import type { Warehouse } from '../warehouse/index.ts';
import { AppError } from '../errors.ts';
import { DashboardService } from '../publish/dashboards/index.ts';
import { createApp, type AppOptions } from './app.ts';
import { secureAppOptions, type AuthMode, type SecureOptions } from './auth/index.ts';

export { createApp, type AppOptions } from './app.ts';
export { errorHandler, notFound, statusForCode, toErrorBody, type ErrorBody } from './errors.ts';
export { warehouseStatus, type WarehouseStatus } from './status.ts';
export { dashboardRoutes, type DashboardRouteOptions } from './dashboards.ts';
export { secureAppOptions, type AuthMode, type SecureOptions } from './auth/index.ts';

export interface StartServerOptions extends AppOptions {
  warehouse: Warehouse;
  /** 0 picks a free port; `url` tells which. */
  port: number;
  host?: string;
  /**
   * 'required': tokens or sessions on every route, the /api/v1 routes, rate limits (what `crm serve` uses).
   * 'open': the same routes without login, everybody an admin — the local demo; loopback addresses only.
   * Unset: the bare dashboard server without /api/v1 (tests of the dashboards); loopback addresses only.
   */
  auth?: AuthMode;
  /** Options of the access layer and the API (exports folder, jobs file, scheduler, rate limit, body limit). */
  access?: SecureOptions;
}

const loopback = (host: string) => host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);

export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

/**
 * Listens with `createApp(warehouse)`; resolves once the port is bound. Unless given a dashboard service, it
 * makes one that computes recently viewed panels again after the data changes (`startRefresh`). `close()` stops
 * accepting, ends idle keep-alive connections and resolves when the server has shut down (it does not close the warehouse).
 *
 * @example
 * const { url, close } = await startServer({ warehouse: wh, port: 3000, host: '127.0.0.1' });
 */
export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  const { warehouse, port, host = '127.0.0.1', auth, access, ...appOptions } = options;
  if (auth !== 'required' && !loopback(host))
    throw new AppError('VALIDATION', `without authentication the server binds to a loopback address only (127.0.0.1, ::1), not ${host}; serve with auth required (crm serve) to listen on ${host}`);
  const own = appOptions.dashboards ? null : new DashboardService(warehouse, { dir: appOptions.dashboardsDir });
  const withDashboards = { ...appOptions, dashboards: appOptions.dashboards ?? own! };
  const app = createApp(warehouse, auth ? secureAppOptions(warehouse, auth, access, withDashboards) : withDashboards);
  const server = await new Promise<import('node:http').Server>((resolve, reject) => {
    const s = app.listen(port, host);
    s.once('listening', () => resolve(s));
    s.once('error', (e: NodeJS.ErrnoException) =>
      reject(e.code === 'EADDRINUSE' ? new AppError('CONFLICT', `port ${port} on ${host} is already in use; pick another with --port or PORT`) : e),
    );
  });
  own?.startRefresh();
  const addr = server.address() as AddressInfo;
  const shownHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${shownHost}:${addr.port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        own?.stopRefresh();
        server.close((e) => (e ? reject(e) : resolve()));
        server.closeIdleConnections();
      }),
  };
}
