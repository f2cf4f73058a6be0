import { sql, type RawBuilder, type SelectQueryBuilder } from 'kysely';
import { z } from 'zod';
import { ValidationError } from '../../errors.ts';
import type { Warehouse } from '../../warehouse/index.ts';
import { customerIdRange } from './marts.ts';
import {
  boolParam,
  bucketSchema,
  filtersParam,
  intParam,
  isoDate,
  listParam,
  refineRange,
  resolveRange,
  todayUtc,
  addDays,
  addMonths,
  type Bucket,
  type DateRange,
} from './params.ts';
import { segmentJoinSource } from './segment-source.ts';
import type { ReportColumn, ReportDefinition, ReportOutput, ReportRow } from './types.ts';

/**
 * Grid reports: facts from a static SQL file (`queries/reports/*.sql`, one row per event with an
 * `at` instant and the keys it can be joined on), then a Kysely-composed outer query that joins the
 * dimension tables the chosen group-bys need, applies filters (bound values), buckets time, and
 * aggregates with `rollup` so that subtotals and the grand total come from the same statement.
 * Ratios are computed from sums at every level (never averaged across rows).
 */

/** Dimension tables a grid can join to its facts (`f`), with the alias each dimension uses. */
export type JoinName = 'customer' | 'account' | 'employee' | 'manager' | 'product' | 'campaign' | 'segment';
const joinOrder: JoinName[] = ['customer', 'account', 'employee', 'manager', 'product', 'campaign', 'segment'];
const joinDeps: Partial<Record<JoinName, JoinName[]>> = { account: ['customer'], manager: ['employee'] };

export interface Dimension {
  label: string;
  /** SQL over the facts `f` and the aliases of its joins (c customers, a accounts, e employees, m managers, p products, cp campaigns, sg segment). */
  expr: RawBuilder<unknown>;
  type?: 'string' | 'number' | 'date';
  joins?: JoinName[];
  /** Sort key when the value's own order is not the natural one (weekday names). Wrapped in min(). */
  orderBy?: RawBuilder<unknown>;
  /** A facts variant this dimension needs (e.g. 'lines' for product). */
  needs?: string;
  /** Usable as a filter but not as a group-by (e.g. ids behind a name). */
  filterOnly?: boolean;
  description?: string;
  /**
   * How many distinct values the dimension can take, as a SQL statement returning one row with a column
   * `n` (nulls counted as a value). An upper bound is enough: the grid multiplies these to bound the
   * number of groups before choosing a bitmap for distinct customer counts. Without it the grid assumes
   * the dimension is large.
   */
  countValues?: string;
}

export interface Measure {
  name: string;
  label: string;
  format: NonNullable<ReportColumn['format']>;
  expr: RawBuilder<unknown>;
  description?: string;
}

export interface GridParams extends DateRange {
  by: Bucket | 'none';
  groupBy: string[];
  filters: Record<string, string[]>;
  totals: boolean;
  sort?: string;
  limit: number;
  measures?: string[];
}

export interface GridSpec<X extends Record<string, unknown> = Record<string, never>> {
  name: string;
  title: string;
  description: string;
  dimensions: Record<string, Dimension>;
  defaultGroupBy: string[];
  defaultBy: Bucket | 'none';
  /** Default range when from/to are not given: the last N calendar months. */
  defaultMonths?: number;
  /** Or a default range of its own (e.g. forward-looking), from today's date. */
  defaultRange?: (today: string) => { from: string; to: string };
  /** Async work before the facts (e.g. learning win rates); its result reaches facts and notes. */
  prepare?(wh: Warehouse, p: GridParams & X, needs: Set<string>, grid: { distinctByBitmap: boolean }): Promise<unknown>;
  /** Report-specific parameters, validated with the common ones. */
  extraParams?: { [K in keyof X]: z.ZodType<X[K], unknown> };
  measures: Measure[] | ((p: GridParams & X, needs: Set<string>, ctx: MeasureContext) => Measure[]);
  /** Whether measures call ctx.distinctCustomers (then the grid checks whether bitmaps can count them). */
  usesDistinctCustomers?: boolean;
  /**
   * Every aggregate of the measures goes through ctx.count / ctx.sum / ctx.distinctCustomers / ctx.aggregate
   * (and ctx.perLevel). The grid may then aggregate in two levels under rollup: the detail groups once, the
   * subtotals and the total from those (counts and sums added, customer bitmaps OR-ed).
   */
  decomposable?: boolean | ((prepared: any) => boolean);
  /**
   * Dimensions that the prepared facts carry as columns (e.g. customer attributes in a mart), replacing
   * the spec's own (same values, no join). Called after prepare.
   */
  factDimensions?(prepared: any): Record<string, Dimension> | undefined;
  /**
   * The group-by the prepared facts hold one row per value of (e.g. customer_id when the facts are summed
   * per customer). Grouped by it alone, with totals, the grid then computes the detail rows row by row
   * and the total as one aggregate instead of re-aggregating (measures through ctx.count / ctx.sum).
   */
  uniqueOn?(prepared: any): string | undefined;
  /** A DATE column of the facts holding f.at's UTC day (e.g. a mart's day), to bucket without converting f.at (a column: the bucket expression repeats it). */
  dayColumn?(prepared: any): RawBuilder<unknown> | undefined;
  /** The facts subquery (use `sqlFragment`); `needs` holds the variants the chosen dimensions need. */
  facts(p: GridParams & X, needs: Set<string>, prepared: any): RawBuilder<unknown>;
  notes?(p: GridParams & X, needs: Set<string>, prepared: any): string[];
  assumptions?(p: GridParams & X): string[];
  /** Adds derived columns computed from the aggregated rows (small: the grid, never the facts). */
  post?(rows: ReportRow[], p: GridParams & X): { rows: ReportRow[]; columns?: ReportColumn[] };
}

/** What measures may ask of the grid they are computed in (see runGrid). */
export interface MeasureContext {
  /** The spec's prepare() result (e.g. which mart the facts come from); undefined when listing names. */
  prepared: unknown;
  /**
   * `count(distinct f.customer_id) [filter (where …)]`, exact. While the report marts are current (so every
   * customer id lies in a known range) and the groups are few enough, it is a bitmap per group
   * (bit_count(bitstring_agg(…))): the same number, several times cheaper under rollup than DuckDB's
   * distinct aggregate, which keeps a hash table of (group, customer) per grouping set.
   */
  distinctCustomers(filter?: RawBuilder<unknown>): RawBuilder<unknown>;
  /**
   * A measure that depends on which keys a rollup level groups by: `fn` gets the names of the keys of
   * each level (['period', 'region'], ['period'], []) and the grid picks with grouping(). Without
   * totals there is one level, all keys.
   */
  perLevel(fn: (levelKeys: string[]) => RawBuilder<unknown>): RawBuilder<unknown>;
  /** `count(*) [filter (where …)]`. With `sum`, `distinctCustomers` and `perLevel` it lets the grid aggregate in two levels (see runGrid). */
  count(filter?: RawBuilder<unknown>): RawBuilder<unknown>;
  /** `sum(expr) [filter (where …)]` (null over no rows). Use on exact types (integers, DECIMAL): two-level sums add partial sums. */
  sum(expr: RawBuilder<unknown>, filter?: RawBuilder<unknown>): RawBuilder<unknown>;
  /** Any other aggregate expression (e.g. a count(distinct …) no bitmap can replace): the grid then aggregates in one level. */
  aggregate(expr: RawBuilder<unknown>): RawBuilder<unknown>;
}

/** Upper bound on the bytes of bitmap state one grid query may allocate for distinct customer counts. */
const bitmapBudgetBytes = 384 * 2 ** 20;

/** Distinct-value counts per dimension (countValues), cached per warehouse and data version. */
const valueCounts = new WeakMap<Warehouse, Map<string, number>>();

async function countValues(wh: Warehouse, dataVersion: number, query: string): Promise<number> {
  let cache = valueCounts.get(wh);
  if (!cache) valueCounts.set(wh, (cache = new Map()));
  const key = `${dataVersion}\u0000${query}`;
  let n = cache.get(key);
  if (n === undefined) {
    const [row] = await wh.all<{ n: number }>(query);
    n = Number(row?.n ?? 0);
    cache.set(key, n);
  }
  return n;
}

/** The number of time buckets of `by` that [from, toExclusive) touches. */
function bucketCount(p: DateRange, by: Bucket): number {
  let n = 0;
  for (let d = bucketStart(p.from, by); d < p.toExclusive && n <= 100_000; n++) d = nextBucket(d, by);
  return n;
}

/** The first day of the bucket after the one starting on `start`. */
export function nextBucket(start: string, by: Bucket): string {
  switch (by) {
    case 'day':
      return addDays(start, 1);
    case 'week':
      return addDays(bucketStart(start, 'week'), 7);
    case 'month':
      return addMonths(start, 1);
    case 'quarter':
      return addMonths(start, 3);
    case 'year':
      return addMonths(start, 12);
  }
}

const roundTo: Record<NonNullable<ReportColumn['format']>, number | null> = {
  currency: 2,
  percent: 4,
  count: null,
  days: 2,
  hours: 2,
  minutes: 2,
  number: 4,
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyQuery = SelectQueryBuilder<any, any, any>;

function applyJoin(q: AnyQuery, j: JoinName, segment: RawBuilder<unknown> | null): AnyQuery {
  switch (j) {
    case 'customer':
      return q.leftJoin('customers as c', (jb) => jb.on(sql<boolean>`c.customer_id = f.customer_id`));
    case 'account':
      return q.leftJoin('accounts as a', (jb) => jb.on(sql<boolean>`a.account_id = c.account_id`));
    case 'employee':
      return q.leftJoin('employees as e', (jb) => jb.on(sql<boolean>`e.employee_id = f.employee_id`));
    case 'manager':
      return q.leftJoin('employees as m', (jb) => jb.on(sql<boolean>`m.employee_id = e.manager_id`));
    case 'product':
      return q.leftJoin('products as p', (jb) => jb.on(sql<boolean>`p.product_id = f.product_id`));
    case 'campaign':
      return q.leftJoin('campaigns as cp', (jb) => jb.on(sql<boolean>`cp.campaign_id = f.campaign_id`));
    case 'segment':
      return q.leftJoin(segment!.as('sg'), (jb) => jb.on(sql<boolean>`sg.customer_id = f.customer_id`));
  }
}

/**
 * Joins the dimension tables that `dims` need to a query over facts `f` (dependencies first, each once).
 * Returns notes to show with the result (e.g. which segments run the segment dimension used).
 */
export async function joinDimensions(wh: Warehouse, query: AnyQuery, dims: Dimension[]): Promise<{ query: AnyQuery; notes: string[] }> {
  const joins = new Set<JoinName>();
  const addJoin = (j: JoinName) => {
    for (const d of joinDeps[j] ?? []) addJoin(d);
    joins.add(j);
  };
  for (const d of dims) for (const j of d.joins ?? []) addJoin(j);
  const segment = joins.has('segment') ? await segmentJoinSource(wh) : null;
  let q = query;
  for (const j of joinOrder) if (joins.has(j)) q = applyJoin(q, j, segment?.source ?? null);
  return { query: q, notes: segment ? [segment.note] : [] };
}

/** `where <dimension> in (<bound values>)` for each filter; keys were validated against `dimensions`. */
export function applyFilters(query: AnyQuery, dimensions: Record<string, Dimension>, filters: Record<string, string[]>): AnyQuery {
  let q = query;
  for (const [k, values] of Object.entries(filters)) {
    const d = dimensions[k];
    const bound = values.map((v) => (d.type === 'number' ? Number(v) : v));
    q = q.where(sql<boolean>`${d.expr} in (${sql.join(bound)})`);
  }
  return q;
}

/**
 * An instant as a plain UTC TIMESTAMP. `make_timestamp(epoch_us(x))` reads the instant's microseconds
 * directly, where casting or truncating a TIMESTAMPTZ goes through ICU time-zone rules: about five times
 * faster on millions of rows, and the same result because every connection runs in UTC.
 */
export function utc(column: RawBuilder<unknown>): RawBuilder<unknown> {
  return sql`make_timestamp(epoch_us(${column}))`;
}

/** The bucket's first day as a DATE (weeks start on Monday, ISO). */
export function bucketExpr(by: Bucket, column: RawBuilder<unknown> = sql`f.at`): RawBuilder<unknown> {
  return bucketOfDay(by, sql`cast(${utc(column)} as date)`);
}

/** The bucket's first day from a DATE (the UTC day), e.g. a mart's day column. */
export function bucketOfDay(by: Bucket, day: RawBuilder<unknown>): RawBuilder<unknown> {
  if (by === 'day') return day;
  return sql`cast(date_trunc(${sql.raw(`'${by}'`)}, ${day}) as date)`;
}

/** Ranges with more buckets than this are bucketed with date_trunc (the comparisons' tree would grow). */
const maxComparedBuckets = 256;

/**
 * bucketOfDay for a DATE column whose values mostly lie in `range`: the bucket starts of the range are
 * known, so a day's bucket is found by comparing it with them (a balanced tree of CASEs, log2(buckets)
 * integer comparisons per row) instead of date_trunc, which costs ~0.05 CPU-s per million rows (0.5 CPU-s
 * of sales by quarter over 10.5 M order lines). Days outside the range and nulls go to date_trunc: the
 * same value for every input. `day` is repeated in the expression: pass a column, not a computation.
 */
export function bucketOfDayInRange(by: Bucket, day: RawBuilder<unknown>, range: { from: string; toExclusive: string }): RawBuilder<unknown> {
  if (by === 'day') return day;
  const trunc = bucketOfDay(by, day);
  const starts: string[] = [];
  for (let d = bucketStart(range.from, by); d < range.toExclusive && starts.length <= maxComparedBuckets; d = nextBucket(d, by)) starts.push(d);
  if (!starts.length || starts.length > maxComparedBuckets) return trunc;
  const bounds = [...starts, nextBucket(starts[starts.length - 1], by)];
  // Literals, not bound parameters: the key expression appears in both the select list and the GROUP BY, and
  // with parameters the two copies get different numbers and DuckDB no longer sees them as the same
  // expression (Binder Error). The dates are computed bucket starts, checked here.
  const date = (d: string) => {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(d)) throw new Error(`not an ISO date: ${d}`);
    return sql.raw(`date '${d}'`);
  };
  // Buckets i … j - 1 (bucket i spans [bounds[i], bounds[i + 1])), for a day known to lie in [bounds[i], bounds[j]).
  const pick = (i: number, j: number): RawBuilder<unknown> => {
    if (j - i === 1) return date(bounds[i]);
    const mid = (i + j) >> 1;
    return sql`case when ${day} < ${date(bounds[mid])} then ${pick(i, mid)} else ${pick(mid, j)} end`;
  };
  return sql`case when ${day} >= ${date(bounds[0])} and ${day} < ${date(bounds[bounds.length - 1])} then ${pick(0, starts.length)} else ${trunc} end`;
}

function describeValid(kind: string, given: string, valid: string[]): string {
  return `unknown ${kind} '${given}'; valid: ${valid.join(', ')}`;
}

/** The zod schema of a grid report's parameters: validates group-bys, filters and sort against the spec. */
export function gridParamsSchema<X extends Record<string, unknown>>(spec: GridSpec<X>) {
  const groupable = Object.entries(spec.dimensions).filter(([, d]) => !d.filterOnly).map(([k]) => k);
  const filterable = Object.keys(spec.dimensions);
  const measureNames = measureNamesOf(spec);
  return z
    .object({
      from: isoDate.optional(),
      to: isoDate.optional(),
      by: bucketSchema.optional(),
      groupBy: listParam.optional(),
      filters: filtersParam.optional(),
      totals: boolParam.default(true),
      sort: z.string().optional(),
      limit: intParam(1, 1_000_000).default(10_000),
      /** Only these measures (default: all); fewer measures, less work (distinct counts are the dearest). */
      measures: listParam.optional(),
      ...(spec.extraParams ?? {}),
    })
    .strict()
    .superRefine((p, ctx) => {
      const gb = (p.groupBy as string[] | undefined) ?? [];
      for (const g of gb) if (!groupable.includes(g)) ctx.addIssue({ code: 'custom', path: ['groupBy'], message: describeValid('group-by', g, groupable) });
      if (gb.length > 2) ctx.addIssue({ code: 'custom', path: ['groupBy'], message: `at most two group-bys (got ${gb.length}: ${gb.join(', ')})` });
      if (new Set(gb).size !== gb.length) ctx.addIssue({ code: 'custom', path: ['groupBy'], message: 'a group-by is repeated' });
      for (const [k, values] of Object.entries((p.filters as Record<string, string[]> | undefined) ?? {})) {
        if (!filterable.includes(k)) ctx.addIssue({ code: 'custom', path: ['filters', k], message: describeValid('filter', k, filterable) });
        else if (!values.length) ctx.addIssue({ code: 'custom', path: ['filters', k], message: 'give at least one value' });
        else if (spec.dimensions[k].type === 'number' && values.some((v) => !Number.isFinite(Number(v))))
          ctx.addIssue({ code: 'custom', path: ['filters', k], message: 'expected numbers' });
      }
      for (const m of (p.measures as string[] | undefined) ?? [])
        if (!measureNames.includes(m)) ctx.addIssue({ code: 'custom', path: ['measures'], message: describeValid('measure', m, measureNames) });
      if (p.measures !== undefined && !(p.measures as string[]).length) ctx.addIssue({ code: 'custom', path: ['measures'], message: 'give at least one measure' });
      if (p.sort !== undefined && !measureNames.includes(p.sort as string))
        ctx.addIssue({ code: 'custom', path: ['sort'], message: describeValid('sort measure', p.sort as string, measureNames) });
      refineRange(p as { from?: string; to?: string }, ctx);
    })
    .transform((p) => {
      const given = p as { from?: string; to?: string };
      const range = spec.defaultRange
        ? resolveRange({ ...spec.defaultRange(todayUtc()), ...Object.fromEntries(Object.entries({ from: given.from, to: given.to }).filter(([, v]) => v)) })
        : resolveRange(given, spec.defaultMonths ?? 12);
      return {
        ...(p as Record<string, unknown>),
        ...range,
        by: (p.by as Bucket | 'none' | undefined) ?? spec.defaultBy,
        groupBy: (p.groupBy as string[] | undefined) ?? spec.defaultGroupBy,
        filters: (p.filters as Record<string, string[]> | undefined) ?? {},
      } as GridParams & X;
    });
}

/** The measure names of a spec (for measures that depend on params: with every variant the dimensions need). */
function measureNamesOf<X extends Record<string, unknown>>(spec: GridSpec<X>): string[] {
  if (typeof spec.measures !== 'function') return spec.measures.map((m) => m.name);
  const defaults = Object.fromEntries(Object.entries(spec.extraParams ?? {}).map(([k, s]) => [k, (s as z.ZodType).safeParse(undefined).data]));
  const needs = new Set(Object.values(spec.dimensions).map((d) => d.needs).filter((n): n is string => !!n));
  const ctx: MeasureContext = { prepared: undefined, distinctCustomers: (f) => distinctSql(f), perLevel: (fn) => fn([]), ...plainAggregates };
  return spec.measures({ ...defaults, from: '2000-01-01', to: '2000-01-01', toExclusive: '2000-01-02', by: 'none', groupBy: [], filters: {}, totals: true, limit: 1 } as unknown as GridParams & X, needs, ctx).map((m) => m.name);
}

const filtered = (agg: RawBuilder<unknown>, filter?: RawBuilder<unknown>) => (filter ? sql`${agg} filter (where ${filter})` : agg);

/** The aggregates of a one-level query: what the measures write is what runs. */
const plainAggregates: Pick<MeasureContext, 'count' | 'sum' | 'aggregate'> = {
  count: (filter) => filtered(sql`count(*)`, filter),
  sum: (expr, filter) => filtered(sql`sum(${expr})`, filter),
  aggregate: (expr) => expr,
};

function distinctSql(filter?: RawBuilder<unknown>): RawBuilder<unknown> {
  return filter ? sql`count(distinct f.customer_id) filter (where ${filter})` : sql`count(distinct f.customer_id)`;
}

const bitmapAgg = (range: { lo: number; hi: number }) => sql`bitstring_agg(f.customer_id, ${sql.lit(range.lo)}, ${sql.lit(range.hi)})`;

function bitmapSql(range: { lo: number; hi: number }, filter?: RawBuilder<unknown>): RawBuilder<unknown> {
  const agg = bitmapAgg(range);
  // bit_count of no rows (null) is null where count(distinct) is 0.
  return sql`coalesce(bit_count(${agg}${filter ? sql` filter (where ${filter})` : sql``}), 0)`;
}

/**
 * Whether distinct customers can be counted as bitmaps: the marts are current (customer ids in a known
 * range) and the groups — bounded by the product of the keys' distinct values, subtotals included —
 * times the bitmap size fit the budget.
 */
async function bitmapRange(wh: Warehouse, keys: { name: string; dim?: Dimension }[], p: GridParams): Promise<{ lo: number; hi: number } | null> {
  const range = await customerIdRange(wh);
  if (!range) return null;
  const dataVersion = await wh.dataVersion();
  let groups = 1;
  let level = 1;
  for (const k of keys) {
    let n: number;
    if (k.name === 'period') n = bucketCount(p, p.by as Bucket);
    else if (k.dim?.countValues) n = await countValues(wh, dataVersion, k.dim.countValues);
    else return null;
    level *= Math.max(n, 1);
    groups += level;
  }
  const bytes = Math.ceil((range.hi - range.lo + 1) / 8) + 64;
  return groups * bytes <= bitmapBudgetBytes ? range : null;
}

/** Builds a report definition from a grid spec. */
export function gridReport<X extends Record<string, unknown>>(spec: GridSpec<X>): ReportDefinition<GridParams & X> {
  const schema = gridParamsSchema(spec);
  return {
    info: {
      name: spec.name,
      title: spec.title,
      description: spec.description,
      groupBys: Object.entries(spec.dimensions).filter(([, d]) => !d.filterOnly).map(([k]) => k),
      defaultGroupBy: spec.defaultGroupBy,
      filters: Object.keys(spec.dimensions),
      measures: measureNamesOf(spec),
      extraParams: Object.keys(spec.extraParams ?? {}),
      timeBuckets: true,
    },
    params: schema as unknown as z.ZodType<GridParams & X>,
    run: (wh, p) => runGrid(wh, spec, p),
  };
}

async function runGrid<X extends Record<string, unknown>>(
  wh: Warehouse,
  spec: GridSpec<X>,
  p: GridParams & X,
): Promise<ReportOutput> {
  const usedNames = [...new Set([...p.groupBy, ...Object.keys(p.filters)])];
  const needs = new Set(usedNames.map((k) => spec.dimensions[k].needs).filter((n): n is string => !!n));
  // Whether distinct customers will be bitmaps depends only on the keys' value counts (prepare may choose its facts by it).
  let bitmap: { lo: number; hi: number } | null = null;
  if (typeof spec.measures === 'function' && spec.usesDistinctCustomers)
    bitmap = await bitmapRange(wh, [...(p.by !== 'none' ? [{ name: 'period' }] : []), ...p.groupBy.map((g) => ({ name: g, dim: spec.dimensions[g] }))], p);
  const prepared = spec.prepare ? await spec.prepare(wh, p, needs, { distinctByBitmap: bitmap !== null }) : undefined;
  const dimensions = { ...spec.dimensions, ...(spec.factDimensions?.(prepared) ?? {}) };
  const joined = await joinDimensions(wh, wh.db.selectFrom(spec.facts(p, needs, prepared).as('f')), usedNames.map((k) => dimensions[k]));
  const filteredFacts = applyFilters(joined.query, dimensions, p.filters);

  const keys: { name: string; expr: RawBuilder<unknown>; orderBy?: RawBuilder<unknown>; dim?: Dimension }[] = [];
  if (p.by !== 'none') {
    const day = spec.dayColumn?.(prepared);
    keys.push({ name: 'period', expr: day ? bucketOfDayInRange(p.by, day, p) : bucketExpr(p.by) });
  }
  for (const g of p.groupBy) keys.push({ name: g, expr: dimensions[g].expr, orderBy: dimensions[g].orderBy, dim: dimensions[g] });
  const n = keys.length;

  // Two levels (subtotals and the total derived from the detail groups) when the measures are made of
  // decomposable aggregates: a rollup over n keys otherwise aggregates every fact row n + 1 times, with
  // every level's variant of each measure. Partial aggregates of the inner query are shared by text.
  const partials = new Map<string, { name: string; expr: RawBuilder<unknown> }>();
  const buildMeasures = (twoLevel: boolean) => {
    partials.clear();
    let opaque = false;
    const groupKeys = keys.map((k) => (twoLevel ? sql.ref(`g.${k.name}`) : k.expr));
    const partial = (expr: RawBuilder<unknown>, outer: (ref: RawBuilder<unknown>) => RawBuilder<unknown>) => {
      const compiled = expr.compile(wh.db);
      const key = `${compiled.sql}\u0000${JSON.stringify(compiled.parameters)}`;
      let pa = partials.get(key);
      if (!pa) partials.set(key, (pa = { name: `_p${partials.size}`, expr }));
      return outer(sql.ref(`g.${pa.name}`));
    };
    const ctx: MeasureContext = {
      prepared,
      distinctCustomers: (filter) => {
        if (!twoLevel) return bitmap ? bitmapSql(bitmap, filter) : distinctSql(filter);
        if (!bitmap) {
          opaque = true;
          return distinctSql(filter);
        }
        return partial(filtered(bitmapAgg(bitmap), filter), (ref) => sql`coalesce(bit_count(bit_or(${ref})), 0)`);
      },
      perLevel: (fn) => {
        if (n === 0 || !p.totals) return fn(keys.map((k) => k.name));
        // grouping(k1 … kn) of the level keeping the first j keys: the last n - j bits set.
        const cases = Array.from({ length: n }, (_, i) => n - 1 - i).map((j) => sql`when ${sql.lit((1 << (n - j)) - 1)} then ${fn(keys.slice(0, j).map((k) => k.name))}`);
        return sql`case grouping(${sql.join(groupKeys)}) when 0 then ${fn(keys.map((k) => k.name))} ${sql.join(cases, sql` `)} end`;
      },
      ...(twoLevel
        ? {
            // count(*) is a BIGINT; the sum of the partial counts is cast back so that types (and ratios) stay the same.
            count: (filter) => partial(filtered(sql`count(*)`, filter), (ref) => sql`cast(sum(${ref}) as bigint)`),
            sum: (expr, filter) => partial(filtered(sql`sum(${expr})`, filter), (ref) => sql`sum(${ref})`),
            aggregate: (expr) => {
              opaque = true;
              return expr;
            },
          }
        : plainAggregates),
    };
    const all = typeof spec.measures === 'function' ? spec.measures(p, needs, ctx) : spec.measures;
    return { all, opaque };
  };
  const decomposable = typeof spec.decomposable === 'function' ? spec.decomposable(prepared) : spec.decomposable === true;
  let twoLevel = decomposable && typeof spec.measures === 'function' && n > 0 && p.totals;
  let built = buildMeasures(twoLevel);
  if (twoLevel && built.opaque) built = buildMeasures((twoLevel = false));
  const all = built.all;
  const measures = p.measures ? all.filter((m) => p.measures!.includes(m.name) || m.name === p.sort) : all;
  if (p.sort !== undefined && !all.some((m) => m.name === p.sort))
    throw new ValidationError(describeValid('sort measure', p.sort, all.map((m) => m.name)), { file: `report ${spec.name}`, field: 'sort' });

  if (p.totals && n === 1 && keys[0].name !== 'period' && spec.uniqueOn?.(prepared) === keys[0].name) {
    const rowwise = rowwiseMeasures(p, needs, prepared, spec, keys[0].name);
    if (rowwise) return finish(await runRowwise(wh, filteredFacts, keys[0], measures, rowwise, p));
  }

  let q: AnyQuery;
  // The keys as the final query sees them: the inner query's columns in two levels.
  const outerKeys = keys.map((k) =>
    twoLevel ? { name: k.name, expr: sql.ref(`g.${k.name}`) as RawBuilder<unknown>, orderBy: k.orderBy ? sql.ref(`g._o_${k.name}`) : undefined } : k,
  );
  if (twoLevel) {
    // Only the partials the chosen measures read.
    const text = measures.map((m) => m.expr.compile(wh.db).sql).join('\n');
    const inner = filteredFacts
      .select([
        ...keys.map((k) => k.expr.as(k.name)),
        ...keys.filter((k) => k.orderBy).map((k) => sql`min(${k.orderBy})`.as(`_o_${k.name}`)),
        ...[...partials.values()].filter((pa) => text.includes(`"g"."${pa.name}"`)).map((pa) => pa.expr.as(pa.name)),
      ])
      .groupBy(keys.map((k) => k.expr));
    q = wh.db.selectFrom(inner.as('g'));
  } else q = filteredFacts;
  const rowType =
    n === 0
      ? sql`'total'`
      : p.totals
        ? sql`case grouping(${sql.join(outerKeys.map((k) => k.expr))}) when 0 then 'detail' when ${sql.lit((1 << n) - 1)} then 'total' else 'subtotal' end`
        : sql`'detail'`;
  const round = (m: Measure) => {
    const digits = roundTo[m.format];
    return digits === null ? m.expr : sql`round(${m.expr}, ${sql.lit(digits)})`;
  };
  q = q.select([rowType.as('row_type'), ...outerKeys.map((k) => k.expr.as(k.name)), ...measures.map((m) => round(m).as(m.name))]);
  if (n > 0) q = q.groupBy(p.totals ? sql`rollup(${sql.join(outerKeys.map((k) => k.expr))})` : outerKeys.map((k) => k.expr));

  // Layout: each group's detail rows, then its subtotal; the grand total last. With `sort`, the
  // detail rows come first ordered by the measure (a top-N list), then subtotals, then the total.
  if (p.sort) {
    if (n > 0 && p.totals) q = q.orderBy(sql`grouping(${sql.join(outerKeys.map((k) => k.expr))})`);
    q = q.orderBy(sql`${sql.ref(p.sort)} desc nulls last`);
  }
  for (const k of outerKeys) {
    if (p.totals) q = q.orderBy(sql`grouping(${k.expr})`);
    q = q.orderBy(k.orderBy ? sql`min(${k.orderBy})` : k.expr);
  }
  q = q.limit(p.limit + 1);

  return finish((await q.execute()) as ReportRow[]);

  function finish(all: ReportRow[]): ReportOutput {
    let rows = all;
    const truncated = rows.length > p.limit;
    if (truncated) rows = rows.slice(0, p.limit);

    let columns: ReportColumn[] = [
      { name: 'row_type', label: 'Row', type: 'string', role: 'info', description: 'detail, subtotal (a group-by level) or total' },
      ...keys.map((k): ReportColumn =>
        k.name === 'period'
          ? { name: 'period', label: `Period (${p.by})`, type: 'date', role: 'time', description: `first day of the ${p.by}` }
          : { name: k.name, label: dimensions[k.name].label, type: dimensions[k.name].type ?? 'string', role: 'dimension' },
      ),
      ...measures.map((m): ReportColumn => ({ name: m.name, label: m.label, type: 'number', role: 'measure', format: m.format, description: m.description })),
    ];
    if (spec.post) {
      const out = spec.post(rows, p);
      rows = out.rows;
      if (out.columns) columns = [...columns, ...out.columns];
    }
    const notes = [...(spec.notes?.(p, needs, prepared) ?? [])];
    if (p.by !== 'none' && (p.from !== bucketStart(p.from, p.by) || p.toExclusive !== bucketStart(p.toExclusive, p.by)))
      notes.push(`The range ${p.from} … ${p.to} does not align with ${p.by} boundaries: the first and/or last ${p.by} is partial.`);
    notes.push(...joined.notes);
    return { columns, rows, notes, assumptions: spec.assumptions?.(p) ?? [], truncated };
  }
}

/**
 * The measures of a grid over facts with one row per key value, by name: `detail` evaluated on one row
 * (count → 0/1, sum → the value or null), `total` as aggregates over all rows. Null when a measure needs
 * another aggregate (a distinct count, ctx.aggregate).
 */
function rowwiseMeasures<X extends Record<string, unknown>>(
  p: GridParams & X,
  needs: Set<string>,
  prepared: unknown,
  spec: GridSpec<X>,
  key: string,
): { detail: Map<string, RawBuilder<unknown>>; total: Map<string, RawBuilder<unknown>> } | null {
  if (typeof spec.measures !== 'function') return null;
  let opaque = false;
  const when = (filter: RawBuilder<unknown> | undefined, then: RawBuilder<unknown>, otherwise: RawBuilder<unknown>) =>
    filter ? sql`(case when ${filter} then ${then} else ${otherwise} end)` : then;
  const opaqueToo = (expr: RawBuilder<unknown>) => {
    opaque = true;
    return expr;
  };
  const detail = spec.measures(p, needs, {
    prepared,
    distinctCustomers: (filter) => opaqueToo(distinctSql(filter)),
    perLevel: (fn) => fn([key]),
    count: (filter) => sql`cast(${when(filter, sql`1`, sql`0`)} as bigint)`,
    sum: (expr, filter) => when(filter, expr, sql`null`),
    aggregate: opaqueToo,
  });
  const total = spec.measures(p, needs, { prepared, distinctCustomers: (filter) => distinctSql(filter), perLevel: (fn) => fn([]), ...plainAggregates });
  if (opaque) return null;
  return { detail: new Map(detail.map((m) => [m.name, m.expr])), total: new Map(total.map((m) => [m.name, m.expr])) };
}

/**
 * Detail rows projected row by row, the total as one ungrouped aggregate, over the facts materialised
 * once: what `group by rollup(key)` gives when each key value is one row, without hashing the rows again.
 */
async function runRowwise(
  wh: Warehouse,
  facts: AnyQuery,
  key: { name: string; expr: RawBuilder<unknown> },
  measures: Measure[],
  rowwise: { detail: Map<string, RawBuilder<unknown>>; total: Map<string, RawBuilder<unknown>> },
  p: GridParams,
): Promise<ReportRow[]> {
  const round = (m: Measure, expr: RawBuilder<unknown>) => {
    const digits = roundTo[m.format];
    return digits === null ? expr : sql`round(${expr}, ${sql.lit(digits)})`;
  };
  const cols = (exprOf: (m: Measure) => RawBuilder<unknown>) => sql.join(measures.map((m) => sql`${round(m, exprOf(m))} as ${sql.ref(m.name)}`));
  const order = [sql`_level`];
  if (p.sort) order.push(sql`${sql.ref(p.sort)} desc nulls last`);
  order.push(sql`_level`, sql.ref(key.name));
  const cte = facts.selectAll('f').select(key.expr.as('_key'));
  // Only the first limit + 1 detail rows can be shown (they sort before the total): those are picked by
  // the sort measure alone (then the key, as below), and the other measures computed for them only
  // instead of for every key value (0.9 M customers for a top 100).
  const sortMeasure = p.sort ? measures.find((m) => m.name === p.sort) : undefined;
  const topOrder = [...(sortMeasure ? [sql`${round(sortMeasure, rowwise.detail.get(sortMeasure.name)!)} desc nulls last`] : []), sql`f._key`];
  const stmt = sql<ReportRow>`with g as materialized (${cte}),
    top as (select * from g as f order by ${sql.join(topOrder)} limit ${sql.lit(p.limit + 1)})
    select row_type, ${sql.ref(key.name)}, ${sql.join(measures.map((m) => sql.ref(m.name)))}
    from (
      select 'detail' as row_type, f._key as ${sql.ref(key.name)}, ${cols((m) => rowwise.detail.get(m.name)!)}, 0 as _level from top as f
      union all
      select 'total', null, ${cols((m) => rowwise.total.get(m.name)!)}, 1 from g as f
    )
    order by ${sql.join(order)}
    limit ${sql.lit(p.limit + 1)}`;
  return (await stmt.execute(wh.db)).rows;
}

/** The first day of the bucket holding `date` (ISO weeks start on Monday). */
export function bucketStart(date: string, by: Bucket): string {
  const d = new Date(`${date}T00:00:00Z`);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  const iso = (x: Date) => x.toISOString().slice(0, 10);
  switch (by) {
    case 'day':
      return date;
    case 'week': {
      const dow = (d.getUTCDay() + 6) % 7;
      d.setUTCDate(d.getUTCDate() - dow);
      return iso(d);
    }
    case 'month':
      return iso(new Date(Date.UTC(y, m, 1)));
    case 'quarter':
      return iso(new Date(Date.UTC(y, m - (m % 3), 1)));
    case 'year':
      return iso(new Date(Date.UTC(y, 0, 1)));
  }
}
