/**
 * /reports: the report registry, run with parameters (query string or JSON body). A row rule becomes the
 * report's own `filters` (region, rep_id), which the report applies in its SQL; a report that cannot be
 * narrowed that way is refused to a restricted user rather than shown unrestricted.
 */
import { z } from 'zod';
import { AppError } from '../../errors.ts';
import { getReport, listReports, runReport, type ReportResult } from '../../models/reports/index.ts';
import type { Warehouse } from '../../warehouse/index.ts';
import { requireVisibleCustomer, unrestricted } from '../auth/row-rules.ts';
import type { AuditEvent } from '../auth/audit.ts';
import type { Principal } from '../auth/store.ts';
import { route, table, type Table } from './route.ts';
import { nameParam } from './schemas.ts';

/** The parameters with the user's row rule pinned into the report's filters. */
export async function scopeReportParams(wh: Warehouse, name: string, params: Record<string, unknown>, principal: Principal): Promise<Record<string, unknown>> {
  const rule = principal.rowRule;
  if (unrestricted(rule)) return params;
  const info = getReport(name).info;
  if (name === 'customer-timeline') {
    const id = Number(params.customer_id);
    if (!Number.isSafeInteger(id)) throw new AppError('VALIDATION', 'customer_id: expected a customer id', { field: 'customer_id' });
    await requireVisibleCustomer(wh, rule, id);
    return params;
  }
  const filters = typeof params.filters === 'object' && params.filters !== null && !Array.isArray(params.filters) ? { ...(params.filters as Record<string, unknown>) } : {};
  const pin = (rule: string | null, key: string) => {
    if (rule === null) return;
    if (!info.filters.includes(key)) throw new AppError('FORBIDDEN', `report ${name} cannot be narrowed to your row rule (it has no ${key} filter); ask an admin`, { report: name });
    filters[key] = [rule];
  };
  pin(rule.region, 'region');
  pin(rule.rep, 'rep_id');
  return { ...params, filters };
}

const reportTable = (r: ReportResult): Table =>
  table(r.rows, r.meta as unknown as Record<string, unknown>, r.columns.map((c) => ({ name: c.name, type: { string: 'VARCHAR', number: 'DOUBLE', date: 'DATE', timestamp: 'TIMESTAMP WITH TIME ZONE', boolean: 'BOOLEAN' }[c.type] })));

/** Query-string parameters: `filters.region=EMEA` and `filters[region]=EMEA` style keys become `{ filters: { region } }`. */
function fromQueryString(q: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const filters: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(q)) {
    const m = /^filters(?:\.([A-Za-z_]+)|\[([A-Za-z_]+)\])$/.exec(k);
    if (m) filters[m[1] ?? m[2]] = v;
    else out[k] = v;
  }
  if (Object.keys(filters).length) out.filters = filters;
  return out;
}

/** Runs a report inside the row rule; a report about one customer (the timeline) is a card read and is audited. */
async function runScoped(wh: Warehouse, name: string, raw: Record<string, unknown>, principal: Principal, audit: (e: AuditEvent) => Promise<void>): Promise<Table> {
  const result = await runReport(wh, name, await scopeReportParams(wh, name, raw, principal));
  if (raw.customer_id !== undefined) await audit({ action: 'customer.read', target: String(raw.customer_id), details: { report: name } });
  return reportTable(result);
}

const paramsSchema = z.record(z.string().max(100), z.unknown());

export const reportRoutes = [
  route({
    method: 'get',
    path: '/reports',
    permission: 'reports:run',
    tag: 'reports',
    summary: 'The reports: names, group-bys, filters, measures, parameters',
    async handler() {
      return { reports: listReports() };
    },
  }),
  route({
    method: 'get',
    path: '/reports/:name',
    permission: 'reports:run',
    tag: 'reports',
    summary: 'Run a report with query-string parameters (from, to, by, groupBy, filters.KEY, measures, limit, …)',
    params: nameParam('name'),
    query: paramsSchema,
    tabular: true,
    async handler({ wh, params, query, principal, audit }) {
      return runScoped(wh, params.name as string, fromQueryString(query), principal, audit);
    },
  }),
  route({
    method: 'post',
    path: '/reports/:name',
    permission: 'reports:run',
    tag: 'reports',
    summary: 'Run a report with a JSON body of parameters',
    params: nameParam('name'),
    body: paramsSchema,
    tabular: true,
    async handler({ wh, params, body, principal, audit }) {
      return runScoped(wh, params.name as string, body, principal, audit);
    },
  }),
];
