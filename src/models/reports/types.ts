import type { z } from 'zod';
import type { Warehouse } from '../../warehouse/index.ts';
import type { Plain } from '../../warehouse/values.ts';

/** How a column should be read: its JSON type, its part in the grid, and how to format it. */
export interface ReportColumn {
  name: string;
  label: string;
  type: 'string' | 'number' | 'date' | 'timestamp' | 'boolean';
  /** time: the time bucket; dimension: a group-by; measure: an aggregate; info: anything else (row_type, ids). */
  role: 'time' | 'dimension' | 'measure' | 'info';
  /** currency, percent (a fraction: 0.25 = 25 %), count, days, hours, minutes, number. */
  format?: 'currency' | 'percent' | 'count' | 'days' | 'hours' | 'minutes' | 'number';
  description?: string;
}

export type ReportRow = Record<string, Plain>;

export interface ReportMeta {
  report: string;
  title: string;
  /** The parameters as validated, with defaults filled in (dates resolved). */
  params: Record<string, unknown>;
  generatedAt: string;
  durationMs: number;
  rowCount: number;
  /** True when `limit` cut the result. */
  truncated: boolean;
  /** The warehouse data version the rows were computed from (caches key on it). */
  dataVersion: number;
  /** Definitions and caveats a reader should know (e.g. what "revenue" includes). */
  notes: string[];
  /** Assumptions the computation made where the data was silent (e.g. inferred stage paths). */
  assumptions: string[];
}

/** What every report returns; the CLI, the dashboards and the HTTP API all render this. */
export interface ReportResult {
  columns: ReportColumn[];
  rows: ReportRow[];
  meta: ReportMeta;
}

/** What a report's `run` returns; `runReport` adds the rest of the meta. */
export interface ReportOutput {
  columns: ReportColumn[];
  rows: ReportRow[];
  notes?: string[];
  assumptions?: string[];
  truncated?: boolean;
  /** Parameters the report resolved itself (e.g. a default date range), merged into meta.params. */
  params?: Record<string, unknown>;
}

/** Summary of a report for `crm report --list`, the API and the dashboards' parameter forms. */
export interface ReportInfo {
  name: string;
  title: string;
  description: string;
  /** Valid group-bys (empty for reports that are not grids). */
  groupBys: string[];
  defaultGroupBy: string[];
  /** Valid filter keys (the group-bys plus filter-only dimensions). */
  filters: string[];
  /** Measure columns. */
  measures: string[];
  /** Report-specific parameters beyond from/to/by/groupBy/filters/totals/sort/limit. */
  extraParams: string[];
  /** Whether the report accepts a time bucket (`by`). */
  timeBuckets: boolean;
}

export interface ReportDefinition<P = Record<string, unknown>> {
  info: ReportInfo;
  /** Validates the raw parameters (CLI flags, query string, JSON body) and fills defaults. */
  params: z.ZodType<P>;
  run(wh: Warehouse, params: P): Promise<ReportOutput>;
}
