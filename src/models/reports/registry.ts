import { AppError, fromZodError } from '../../errors.ts';
import type { Warehouse } from '../../warehouse/index.ts';
import { martChangedMessage } from './marts.ts';
import type { ReportDefinition, ReportInfo, ReportResult } from './types.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyReport = ReportDefinition<any>;
const registry = new Map<string, AnyReport>();

/**
 * Adds a report to the registry (built-ins register themselves; another module may add its own,
 * e.g. a campaign-lift report). Names are kebab-case and unique.
 */
export function registerReport(def: AnyReport): void {
  if (!/^[a-z][a-z0-9-]*$/.test(def.info.name)) throw new AppError('INTERNAL', `report name '${def.info.name}' must be kebab-case`);
  if (registry.has(def.info.name)) throw new AppError('INTERNAL', `report '${def.info.name}' is registered twice`);
  registry.set(def.info.name, def);
}

/** Every report, sorted by name. */
export function listReports(): ReportInfo[] {
  return [...registry.values()].map((d) => d.info).sort((a, b) => a.name.localeCompare(b.name));
}

/** A report by name; an unknown name is a NOT_FOUND error that lists the valid ones. */
export function getReport(name: string): AnyReport {
  const def = registry.get(name);
  if (!def) throw new AppError('NOT_FOUND', `unknown report '${name}'; reports: ${[...registry.keys()].sort().join(', ')}`, { valid: [...registry.keys()].sort() });
  return def;
}

/**
 * Runs a report: validates `params` with the report's zod schema (defaults filled in), runs it, and
 * returns the rows with column descriptions and meta (resolved params, notes, assumptions, timing).
 * Bad parameters throw a ValidationError ("report NAME: key.path: message"), an unknown report NOT_FOUND.
 *
 * @example
 * const r = await runReport(wh, 'sales', { from: '2024-01-01', to: '2024-12-31', by: 'quarter', groupBy: ['region'] });
 * r.rows[0] // { row_type: 'detail', period: '2024-01-01', region: 'EMEA', orders: 812, revenue: 120440.5, … }
 */
export async function runReport(wh: Warehouse, name: string, params: unknown = {}): Promise<ReportResult> {
  const def = getReport(name);
  const parsed = def.params.safeParse(params ?? {});
  if (!parsed.success) throw fromZodError(parsed.error, `report ${name}`);
  const started = performance.now();
  let dataVersion = await wh.dataVersion();
  // A mart that a load or rebuild changed between the report's checks and its query fails the query
  // (martGuard): run once more, now against the new state.
  const out = await def.run(wh, parsed.data).catch(async (e: unknown) => {
    if (!(e instanceof Error && e.message.includes(martChangedMessage))) throw e;
    dataVersion = await wh.dataVersion();
    return def.run(wh, parsed.data);
  });
  return {
    columns: out.columns,
    rows: out.rows,
    meta: {
      report: def.info.name,
      title: def.info.title,
      params: { ...(parsed.data as Record<string, unknown>), ...(out.params ?? {}) },
      generatedAt: new Date().toISOString(),
      durationMs: Math.round(performance.now() - started),
      rowCount: out.rows.length,
      truncated: out.truncated ?? false,
      dataVersion,
      notes: out.notes ?? [],
      assumptions: out.assumptions ?? [],
    },
  };
}
