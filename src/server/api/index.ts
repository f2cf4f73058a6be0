/**
 * The versioned API, mounted at /api/v1: every route declared once (route.ts) with its permission and zod
 * schemas; the OpenAPI document at /api/v1/openapi.json is generated from the same declarations.
 */
import express, { Router } from 'express';
import type { DashboardService } from '../../publish/dashboards/index.ts';
import type { Warehouse } from '../../warehouse/index.ts';
import { principalOf, type Access } from '../auth/access.ts';
import { permissionsOf } from '../auth/roles.ts';
import { adminRoutes } from './admin.ts';
import { customerRoutes } from './customers.ts';
import { dashboardApiRoutes } from './dashboards.ts';
import { exportRoutes, type ExportsOptions } from './exports.ts';
import { openApiDocument } from './openapi.ts';
import { opsRoutes, type OpsOptions } from './ops.ts';
import { reportRoutes } from './reports.ts';
import { apiRouter, type AnyRoute } from './route.ts';
import { segmentRoutes } from './segments.ts';

export { route, table, apiRouter, inferColumns, type AnyRoute, type RouteDef, type Table } from './route.ts';
export { openApiDocument } from './openapi.ts';

export interface ApiOptions extends ExportsOptions, OpsOptions {
  /** Largest JSON body accepted (default 64 kB). */
  bodyLimit?: string;
}

/** Every /api/v1 route declaration (for the router, the OpenAPI document and the tests). */
export function apiRoutes(svc: DashboardService, access: Access, options: ApiOptions = {}): AnyRoute[] {
  return [...customerRoutes, ...segmentRoutes, ...exportRoutes(options), ...reportRoutes, ...opsRoutes(options), ...dashboardApiRoutes(svc, access), ...adminRoutes] as AnyRoute[];
}

/**
 * The /api/v1 router: JSON bodies up to `bodyLimit`, `GET /me`, `GET /openapi.json`, then the routes.
 *
 * @example
 * app.use('/api/v1', createApi(wh, svc, access, { exportsDir: 'data/exports' }));
 */
export function createApi(wh: Warehouse, svc: DashboardService, access: Access, options: ApiOptions = {}): Router {
  const routes = apiRoutes(svc, access, options);
  const doc = JSON.stringify(openApiDocument(routes));
  const router = Router();
  router.use(express.json({ limit: options.bodyLimit ?? '64kb', strict: true, type: ['application/json', 'application/*+json'] }));
  router.get('/openapi.json', (req, res) => {
    principalOf(req);
    res.type('application/json').send(doc);
  });
  router.get('/me', (req, res) => {
    const p = principalOf(req);
    res.json({ user: p.user, role: p.role, rowRule: p.rowRule, via: p.via, permissions: permissionsOf(p.role) });
  });
  router.use(apiRouter(wh, access, routes));
  return router;
}
