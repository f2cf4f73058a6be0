import { z } from 'zod';

/** The filters a dashboard can offer. Each maps to bound SQL parameters (see `filterParams`). */
export const filterNames = ['date_range', 'granularity', 'region', 'rep', 'segment'] as const;
export type FilterName = (typeof filterNames)[number];

/** Time granularity: a whitelist, bound as a string to `date_trunc($granularity, …)`. */
export const granularities = ['day', 'week', 'month', 'quarter'] as const;
export type Granularity = (typeof granularities)[number];

/**
 * The parameters a filter state provides to a panel query, by name:
 * `$from`, `$to` (inclusive dates), `$prev_from`, `$prev_to` (the period of the same length just before),
 * `$granularity`, `$region`, `$rep`, `$segment` (null = all).
 */
export const filterParamNames = ['from', 'to', 'prev_from', 'prev_to', 'granularity', 'region', 'rep', 'segment'] as const;
export type FilterParamName = (typeof filterParamNames)[number];

const ident = z.string().regex(/^[a-z][a-z0-9_]*$/, 'use lower-case letters, digits and _ (starting with a letter)');
const queryName = z
  .string()
  .regex(/^[a-z0-9_]+(\/[a-z0-9_]+)*$/, 'a path under queries/dashboards/ without .sql, e.g. sales/revenue_by_period');

const panelBase = {
  id: ident,
  title: z.string().min(1),
  /** Shown under the title and given to screen readers as the chart's description. Required. */
  description: z.string().min(10, 'describe what the panel shows (at least 10 characters): screen readers read it'),
  /** The SQL file `queries/dashboards/<query>.sql` (one select, `$name` parameters). One of query, report, source. */
  query: queryName.optional(),
  /** A management report (issue 4's `runReport`) with filter bindings. One of query, report, source. */
  report: z
    .object({
      name: z.string().regex(/^[a-z][a-z0-9-]*$/),
      /** Constant report parameters (groupBy, by, totals, …). */
      params: z.record(z.string(), z.unknown()).default({}),
      /** Report parameter → filter parameter, e.g. { from: from, to: to, by: granularity }. */
      bind: z.record(z.string(), z.enum(filterParamNames)).default({}),
      /** Report filter key → choice filter, applied when the filter is set, e.g. { rep_id: rep, region: region }. */
      filters: z.record(z.string(), z.enum(['region', 'rep', 'segment'])).default({}),
    })
    .strict()
    .optional(),
  /** A computed source registered in src/publish/dashboards/sources.ts (e.g. campaign_lift). One of query, report, source. */
  source: ident.optional(),
  /**
   * Tables the query reads that another module builds (model outputs). When one is missing or
   * empty the panel shows `empty` instead of running the query.
   */
  requires: z.array(ident).default([]),
  /** SQL parameter → filter parameter, when the query names a parameter differently. */
  bind: z.record(ident, z.enum(filterParamNames)).default({}),
  /** Constant SQL parameters. */
  params: z.record(ident, z.union([z.string(), z.number(), z.boolean()])).default({}),
  /** The message when there is no data (default: a generic one naming the missing table or the filters). */
  empty: z.string().optional(),
  /**
   * Seconds a cached result is served for. Results are otherwise reused until the data changes (a load, a model
   * run, …); a panel whose figures move with the clock alone (hours since the last load) sets this.
   */
  maxAgeSeconds: z.int().positive().optional(),
};

/** A panel reads exactly one of a SQL file, a report or a computed source. */
function oneSource(p: { query?: string; report?: unknown; source?: string }, ctx: z.RefinementCtx): void {
  const n = [p.query, p.report, p.source].filter((x) => x !== undefined).length;
  if (n !== 1) ctx.addIssue({ code: 'custom', message: n ? 'give only one of query, report and source' : 'give one of query (a SQL file), report or source', path: ['query'] });
}

const numberFormat = z.enum(['integer', 'decimal', 'currency', 'percent', 'days', 'hours']);
export type NumberFormat = z.infer<typeof numberFormat>;

/**
 * A KPI tile: the query returns one row with `value` (this period) and `previous_value`
 * (the same-length period before, through `$prev_from`/`$prev_to`); the server adds `change` and `change_pct`.
 */
export const kpiSchema = z
  .object({
    ...panelBase,
    format: numberFormat.default('integer'),
    /** Whether a rise is good news (green) or bad news (red, e.g. churn rate). */
    better: z.enum(['up', 'down']).default('up'),
  })
  .strict()
  .superRefine(oneSource);

const tableColumn = z
  .object({ field: z.string().min(1), title: z.string().min(1), format: numberFormat.or(z.enum(['text', 'datetime'])).default('text') })
  .strict();

/** A chart: the query's rows become the Vega-Lite spec's data. */
export const chartSchema = z
  .object({
    ...panelBase,
    kind: z.literal('chart').default('chart'),
    /** A Vega-Lite spec without `data` (the rows are injected) and without width (the page sizes it). */
    spec: z
      .record(z.string(), z.unknown())
      .refine((s) => !('data' in s), 'leave out "data": the panel query supplies the rows')
      .refine((s) => !('datasets' in s), 'leave out "datasets": the panel query supplies the rows'),
    /** `wide` spans the whole row. */
    width: z.enum(['normal', 'wide']).default('normal'),
    height: z.number().int().min(60).max(1200).default(260),
  })
  .strict()
  .superRefine(oneSource);

/** A table: the query's rows as an HTML table (lists such as failed runs). */
export const tableSchema = z
  .object({
    ...panelBase,
    kind: z.literal('table'),
    columns: z.array(tableColumn).min(1),
    width: z.enum(['normal', 'wide']).default('wide'),
    /** Rows shown on the page and in exports (the CSV and the API have them all). */
    maxRows: z.number().int().min(1).max(1000).default(50),
  })
  .strict()
  .superRefine(oneSource);

export const panelSchema = z.union([tableSchema, chartSchema]);

export const dashboardSchema = z
  .object({
    title: z.string().min(1),
    description: z.string().min(1),
    /** Order in the navigation. */
    order: z.number().int().default(100),
    /** ISO 4217 code for `currency` figures (e.g. EUR); without it they show as plain numbers. */
    currency: z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as EUR').optional(),
    filters: z.array(z.enum(filterNames)).default(['date_range', 'granularity']),
    defaults: z
      .object({
        /** Default date range: this many months ending on the anchor date. */
        months: z.number().int().min(1).max(120).default(12),
        granularity: z.enum(granularities).default('month'),
        /** A query (under queries/dashboards/) returning one row `end_date`: the default range ends there (default: today, UTC). */
        anchor: queryName.optional(),
      })
      .strict()
      .default({ months: 12, granularity: 'month' }),
    /**
     * Where a choice filter's options come from, when not the default list (queries/dashboards/filters/<name>.sql):
     * a query returning `value` and `label`, e.g. { rep: filters/agents } for the support agents of a service dashboard.
     */
    choices: z.object({ region: queryName.optional(), rep: queryName.optional(), segment: queryName.optional() }).strict().default({}),
    kpis: z.array(kpiSchema).default([]),
    panels: z.array(panelSchema).default([]),
  })
  .strict();

export type KpiDef = z.infer<typeof kpiSchema>;
export type ChartDef = z.infer<typeof chartSchema>;
export type TableDef = z.infer<typeof tableSchema>;
export type PanelDef = ChartDef | TableDef;
export type DashboardFile = z.infer<typeof dashboardSchema>;

/** A loaded dashboard: its definition plus where it came from and what each query needs. */
export interface Dashboard extends DashboardFile {
  name: string;
  file: string;
  /** Per panel or KPI id: the SQL text and the parameters it reads. */
  queries: Map<string, PanelQuery>;
}

/** How a panel gets its rows, resolved when the definition is loaded. */
export interface PanelQuery {
  kind: 'sql' | 'report' | 'source';
  /** kind sql: the SQL text. */
  sql: string;
  /** Parameters the source reads: the SQL's `$name`s, or the report's / source's parameter names. */
  params: string[];
  /** Filter parameters that feed it (those that change its result). */
  filterParams: FilterParamName[];
}

export type AnyPanel = ({ kind: 'kpi' } & KpiDef) | PanelDef;
