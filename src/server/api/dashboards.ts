/** /dashboards: the dashboards a role may open and their panel data (filters narrowed by the row rule). */
import { z } from 'zod';
import type { DashboardService } from '../../publish/dashboards/index.ts';
import { requireDashboard, type Access } from '../auth/access.ts';
import { canSeeDashboard } from '../auth/roles.ts';
import { route, table } from './route.ts';
import { slug } from './schemas.ts';

export function dashboardApiRoutes(svc: DashboardService, access: Access) {
  return [
    route({
      method: 'get',
      path: '/dashboards',
      permission: 'dashboards:read',
      tag: 'dashboards',
      summary: 'The dashboards your role may open, with their filters, KPIs and panels',
      async handler({ principal }) {
        return {
          dashboards: svc.dashboards
            .filter((d) => canSeeDashboard(principal.role, d.name))
            .map((d) => ({ name: d.name, title: d.title, description: d.description, filters: d.filters, kpis: d.kpis.map((k) => k.id), panels: d.panels.map((p) => p.id) })),
        };
      },
    }),
    route({
      method: 'get',
      path: '/dashboards/:name/panels/:panel',
      permission: 'dashboards:read',
      tag: 'dashboards',
      summary: "One panel's data for the filters in the query string (from, to, granularity, region, rep, segment)",
      params: z.object({ name: slug, panel: slug }).strict(),
      query: z.record(z.string().max(50), z.union([z.string().max(200), z.array(z.string().max(200)).max(5)])),
      tabular: true,
      async handler({ wh, req, params, query }) {
        requireDashboard(wh, req, params.name);
        const d = svc.get(params.name);
        const state = await access.restrictFilters()(req, await svc.filters(d, query));
        const r = await svc.panel(d, params.panel, state);
        return table(r.rows, { dashboard: r.dashboard, panel: r.panel, kind: r.kind, dataVersion: r.dataVersion, empty: r.empty, filters: state }, r.columns);
      },
    }),
  ];
}
