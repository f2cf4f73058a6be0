import { AppError } from '../../errors.ts';
import { quoteIdent, sqlFile, type Row, type Warehouse } from '../../warehouse/index.ts';
import { plainConverter, toParam } from '../../warehouse/values.ts';
import { filterParams, type FilterState } from './filters.ts';
import type { AnyPanel, Dashboard, FilterParamName } from './schema.ts';
import { findSource, runReportSource } from './sources.ts';

export interface PanelColumn {
  name: string;
  /** DuckDB's type name, e.g. BIGINT, DECIMAL(18,2), DATE, VARCHAR. */
  type: string;
}

export interface EmptyState {
  reason: 'missing_source' | 'no_rows';
  message: string;
}

/** One panel's data for one filter state: what the API returns, the page draws and the export inlines. */
export interface PanelResult {
  dashboard: string;
  panel: string;
  kind: 'kpi' | 'chart' | 'table';
  /** The bound SQL parameters (only those the query reads). */
  params: Record<string, string | number | boolean | null>;
  dataVersion: number;
  columns: PanelColumn[];
  rows: Row[];
  empty: EmptyState | null;
  elapsedMs: number;
}

/** The parameters a panel's query reads, bound from the filter state, its `bind` and its `params`. */
export function panelParams(dashboard: Dashboard, panel: AnyPanel, state: FilterState): Record<string, string | number | boolean | null> {
  const q = dashboard.queries.get(panel.id)!;
  const fp = filterParams(state);
  const out: Record<string, string | number | boolean | null> = {};
  if (q.kind !== 'sql') {
    for (const f of q.filterParams) out[f] = fp[f];
    return out;
  }
  for (const name of q.params) {
    if (name in panel.params) out[name] = panel.params[name];
    else out[name] = fp[(panel.bind[name] ?? name) as FilterParamName];
  }
  return out;
}

/** Runs SQL and keeps the result's column names and types (which `wh.all` drops). */
export async function queryWithColumns(
  wh: Warehouse,
  sql: string,
  params: Record<string, unknown>,
): Promise<{ columns: PanelColumn[]; rows: Row[] }> {
  return wh.withConnection(async (q) => {
    try {
      const reader = await q.conn.runAndReadAll(sql, Object.fromEntries(Object.entries(params).map(([k, v]) => [k, toParam(v)])));
      const names = reader.columnNames();
      const types = reader.columnTypes();
      return {
        columns: names.map((name, i) => ({ name, type: String(types[i]) })),
        rows: reader.convertRowObjects(plainConverter) as Row[],
      };
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      (err as Error & { sql?: string }).sql = sql;
      throw err;
    }
  });
}

/** Which of `tables` are missing or empty, in order. */
export async function missingSources(wh: Warehouse, tables: string[]): Promise<{ table: string; state: 'missing' | 'empty' }[]> {
  if (!tables.length) return [];
  const existing = new Set(
    (await wh.all<{ table_name: string }>(sqlFile('dashboards/system/existing_tables'))).map((r) => r.table_name),
  );
  const out: { table: string; state: 'missing' | 'empty' }[] = [];
  for (const t of tables) {
    if (!existing.has(t)) out.push({ table: t, state: 'missing' });
    else {
      // t is a whitelisted identifier from the dashboard file (checked by the schema) and exists.
      const [{ has_rows }] = await wh.all<{ has_rows: boolean }>(`select exists (select 1 from ${quoteIdent(t)}) as has_rows`);
      if (!has_rows) out.push({ table: t, state: 'empty' });
    }
  }
  return out;
}

/**
 * Computes one panel for one filter state (uncached; `DashboardService` caches).
 * A panel whose required tables are missing or empty gets an empty state, not an error.
 */
export async function computePanel(wh: Warehouse, dashboard: Dashboard, panel: AnyPanel, state: FilterState, dataVersion: number): Promise<PanelResult> {
  const started = performance.now();
  const params = panelParams(dashboard, panel, state);
  const kind = 'kind' in panel ? panel.kind : 'kpi';
  const base = { dashboard: dashboard.name, panel: panel.id, kind, params, dataVersion } as const;
  const missing = await missingSources(wh, panel.requires);
  if (missing.length) {
    const what = missing.map((m) => `${m.table} ${m.state === 'missing' ? 'does not exist' : 'is empty'}`).join('; ');
    return {
      ...base,
      columns: [],
      rows: [],
      empty: { reason: 'missing_source', message: panel.empty ?? `No data yet: ${what}. It is built by \`crm models run\`.` },
      elapsedMs: performance.now() - started,
    };
  }
  const q = dashboard.queries.get(panel.id)!;
  let columns: PanelColumn[];
  let rows: Row[];
  let sourceMessage: string | undefined;
  if (q.kind === 'sql') ({ columns, rows } = await queryWithColumns(wh, q.sql, params));
  else {
    const fp = params as Record<string, string | null>;
    const r = q.kind === 'report' ? await runReportSource(wh, panel.report!, fp) : await findSource(panel.source!).run(wh, fp);
    ({ columns, rows } = r);
    sourceMessage = r.emptyMessage;
  }
  if (kind === 'kpi') ({ columns, rows } = withChange(columns, rows, dashboard, panel.id));
  const empty: EmptyState | null =
    rows.length === 0 || (kind === 'kpi' && rows[0].value === null)
      ? { reason: 'no_rows', message: sourceMessage ?? panel.empty ?? 'No data for the selected filters.' }
      : null;
  return { ...base, columns, rows, empty, elapsedMs: performance.now() - started };
}

/** KPI rows: `value`, `previous_value` from SQL; `change` and `change_pct` (relative to |previous|) added. */
function withChange(columns: PanelColumn[], rows: Row[], dashboard: Dashboard, id: string): { columns: PanelColumn[]; rows: Row[] } {
  const names = columns.map((c) => c.name);
  if (!names.includes('value') || !names.includes('previous_value') || rows.length !== 1) {
    throw new AppError('INTERNAL', `KPI ${dashboard.name}/${id} must return one row with value and previous_value (got ${rows.length} rows: ${names.join(', ')})`);
  }
  const r = rows[0];
  const v = r.value === null ? null : Number(r.value);
  const p = r.previous_value === null ? null : Number(r.previous_value);
  const change = v === null || p === null ? null : v - p;
  const change_pct = change === null || !p ? null : change / Math.abs(p);
  return {
    columns: [...columns, { name: 'change', type: 'DOUBLE' }, { name: 'change_pct', type: 'DOUBLE' }],
    rows: [{ ...r, value: v, previous_value: p, change, change_pct }],
  };
}

/** "Data as of": when the last successful load finished (ISO UTC), or null before the first load. */
export async function dataAsOf(wh: Warehouse): Promise<string | null> {
  const [row] = await wh.all<{ as_of: string | null }>(sqlFile('dashboards/ops/data_as_of'));
  return row?.as_of ?? null;
}
