import { sql, type RawBuilder, type SelectQueryBuilder, type SqlBool } from 'kysely';
import { AppError } from '../../errors.ts';
import type { Plain, Queryable, Warehouse } from '../../warehouse/index.ts';
import { checkAgainstCatalog, loadCatalog, requirePlan, requireSegment, type Catalog } from './catalog.ts';
import { compileRule, type CompiledRule, type SegmentLookup } from './compile.ts';
import { fieldsByName } from './fields.ts';
import { rfmParamsSchema, scoreRfmLive, type RfmParams } from './rfm.ts';
import { parseSegmentDefinition, type FieldRule, type Rule, type SegmentDefinition } from './rules.ts';
import { segmentDb, type SegmentDatabase } from './tables.ts';
import { asOfEnd, todayUtc, windowBounds } from './windows.ts';

/**
 * Evaluating segments: a *selection* is "which customers, under which segment name" — one segment,
 * or a campaign plan where each customer goes to the first segment of the plan they qualify for.
 * It becomes one Kysely query over `customers c`, joined to RFM scores and CLV scores when needed.
 * Live evaluation scores RFM as of the day into a temporary table on the connection first.
 */

export type RfmSource = { table: 'rfm_scores'; runId: number } | { table: '_rfm_live' };

export interface Selection {
  /** Who is in. */
  predicate: RawBuilder<SqlBool>;
  /** Which segment name each member gets. */
  label: RawBuilder<string>;
  needsRfm: boolean;
  needsValue: boolean;
  /** Segments involved (for manifests and messages). */
  segments: string[];
}

export interface Sources {
  asOf: string;
  rfm?: RfmSource;
  /** The clv run behind customer_value, when the selection reads it. */
  valueRunId?: number | null;
  rfmCustomers?: number;
}

export interface EvaluateOptions {
  /** 'YYYY-MM-DD'; default today (UTC). */
  asOf?: string;
  rfm?: Partial<RfmParams>;
}

function fromCompiled(c: CompiledRule, name: string): Selection {
  return { predicate: c.predicate, label: sql<string>`${name}`, needsRfm: c.needsRfm, needsValue: c.needsValue, segments: [name, ...c.segments] };
}

/** One segment of the catalog as of a day. */
export function segmentSelection(catalog: Catalog, name: string, asOf: string): Selection {
  const entry = requireSegment(catalog, name);
  return fromCompiled(compileRule(entry.definition.rule, { asOf, lookup: catalog.lookup, self: name }), name);
}

/** A definition that is not saved (yet): checked against the catalog, then compiled. */
export function definitionSelection(catalog: Catalog, def: SegmentDefinition, asOf: string): Selection {
  checkAgainstCatalog(catalog, def);
  const lookup: SegmentLookup = { rule: (n) => (n === def.name ? def.rule : catalog.lookup.rule(n)), names: catalog.lookup.names };
  return fromCompiled(compileRule(def.rule, { asOf, lookup, self: def.name }), def.name);
}

/**
 * A campaign plan: each customer goes to the highest-priority (first listed) segment they qualify for.
 * With `only`, just the customers the plan assigns to that segment.
 */
export function planSelection(catalog: Catalog, planName: string, asOf: string, only?: string): Selection {
  const plan = requirePlan(catalog, planName);
  const names = plan.definition.segments;
  if (only !== undefined && !names.includes(only))
    throw new AppError('VALIDATION', `segment "${only}" is not in plan "${planName}"; its segments, highest priority first: ${names.join(', ')}`);
  const compiled = names.map((n) => compileRule(requireSegment(catalog, n).definition.rule, { asOf, lookup: catalog.lookup, self: n }));
  const upTo = only === undefined ? compiled.length : names.indexOf(only) + 1;
  const used = compiled.slice(0, upTo);
  const predicate =
    only === undefined
      ? sql<SqlBool>`(${sql.join(used.map((c) => c.predicate), sql` or `)})`
      : sql<SqlBool>`(${sql.join([...used.slice(0, -1).map((c) => sql`not ${c.predicate}`), used[used.length - 1].predicate], sql` and `)})`;
  const label =
    only === undefined ? sql<string>`case ${sql.join(used.map((c, i) => sql`when ${c.predicate} then ${names[i]}`), sql` `)} end` : sql<string>`${only}`;
  return {
    predicate,
    label,
    needsRfm: used.some((c) => c.needsRfm),
    needsValue: used.some((c) => c.needsValue),
    segments: [...new Set([...names.slice(0, upTo), ...used.flatMap((c) => c.segments)])],
  };
}

type Db = ReturnType<typeof segmentDb>;
type CustomerQuery = SelectQueryBuilder<SegmentDatabase & { c: SegmentDatabase['customers']; rfm: SegmentDatabase['rfm_scores']; cv: SegmentDatabase['customer_value'] }, 'c' | 'rfm' | 'cv', object>;

/** `from customers c [left join rfm] [left join cv] where <selection>`, selecting nothing yet. */
export function fromSelection(db: Db, sel: Selection, sources: Sources): CustomerQuery {
  let q = db.selectFrom('customers as c') as unknown as CustomerQuery;
  if (sel.needsRfm) {
    const rfm = sources.rfm;
    if (!rfm) throw new AppError('INTERNAL', 'selection needs RFM scores but no source was prepared');
    q =
      rfm.table === 'rfm_scores'
        ? (q.leftJoin('rfm_scores as rfm' as never, (j) => j.onRef('rfm.customer_id' as never, '=', 'c.customer_id' as never).on('rfm.run_id' as never, '=', rfm.runId as never)) as unknown as CustomerQuery)
        : (q.leftJoin('_rfm_live as rfm' as never, 'rfm.customer_id' as never, 'c.customer_id' as never) as unknown as CustomerQuery);
  }
  if (sel.needsValue) q = q.leftJoin('customer_value as cv' as never, 'cv.customer_id' as never, 'c.customer_id' as never) as unknown as CustomerQuery;
  return q.where(sel.predicate);
}

/** `select c.customer_id, <segment> as segment_name from … where <selection>`. */
export function membersQuery(db: Db, sel: Selection, sources: Sources) {
  return fromSelection(db, sel, sources).select([sql.ref<number>('c.customer_id').as('customer_id'), sel.label.as('segment_name')]);
}

/** The clv run behind customer_value; a clear error when the clv model has not run. */
export async function valueRun(q: Queryable, needed: string[]): Promise<number> {
  const [t] = await q.all<{ n: number }>("select count(*) as n from information_schema.tables where table_name = 'customer_value'");
  const [row] = t.n ? await q.all<{ run_id: number }>('select max(run_id) as run_id from customer_value') : [];
  if (!row || row.run_id === null)
    throw new AppError(
      'MODEL',
      `${needed.length ? `segment ${needed.map((n) => `"${n}"`).join(', ')} uses` : 'this rule uses'} CLV scores (clv, p_alive, churn_tier, …) but customer_value is empty: run \`crm models run clv\` first`,
    );
  return row.run_id;
}

/** Scores what a selection needs for a live evaluation on this connection. */
export async function prepareLive(q: Queryable, sel: Selection, asOf: string, catalog: Catalog, rfm: Partial<RfmParams> = {}): Promise<Sources> {
  const sources: Sources = { asOf };
  if (sel.needsValue) sources.valueRunId = await valueRun(q, sel.segments.slice(0, 1));
  if (sel.needsRfm) {
    sources.rfmCustomers = await scoreRfmLive(q, asOf, rfmParamsSchema.parse(rfm), catalog.scoreMap);
    sources.rfm = { table: '_rfm_live' };
  }
  return sources;
}

/** Drops the temporary tables of a live evaluation (connections are pooled: do not leave 1M-row tables behind). */
export async function dropLiveTables(q: Queryable): Promise<void> {
  await q.run('drop table if exists _rfm_live');
}

async function runCompiled<T>(q: Queryable, query: { compile(): { sql: string; parameters: readonly unknown[] } }): Promise<T[]> {
  const c = query.compile();
  return q.all<T>(c.sql, [...c.parameters]);
}

export function resolveAsOf(asOf?: string): string {
  const d = asOf ?? todayUtc();
  if (!/^\d{4}-\d{2}-\d{2}$/.test(d) || Number.isNaN(Date.parse(`${d}T00:00:00Z`))) throw new AppError('VALIDATION', `as-of date "${d}" is not a date YYYY-MM-DD`);
  return d;
}

/** Field conditions written directly in a rule (not through other segments), for sample columns. */
function ruleFields(rule: Rule, out: FieldRule[] = []): FieldRule[] {
  if ('all' in rule) rule.all.forEach((r) => ruleFields(r, out));
  else if ('any' in rule) rule.any.forEach((r) => ruleFields(r, out));
  else if ('not' in rule) ruleFields(rule.not, out);
  else if ('field' in rule && !out.some((f) => f.field === rule.field && JSON.stringify(f.window) === JSON.stringify(rule.window))) out.push(rule);
  return out;
}

export interface Preview {
  segment: string;
  asOf: string;
  count: number;
  /** Customers in the warehouse, for the share. */
  customers: number;
  sample: Record<string, Plain>[];
  sources: Sources;
  segments: string[];
}

const sampleColumns = ['customer_id', 'first_name', 'last_name', 'email', 'country'] as const;

/**
 * Count and a sample of a segment — saved (by name) or not (a definition) — as of a day. The sample
 * (spread over the customer base by a hash, deterministic) shows the fields the rule tests.
 *
 * @example
 * const p = await previewSegment(wh, { definition: { name: 'de', rule: { field: 'country', op: 'eq', value: 'DE' } } }, { sample: 5 });
 * p.count; p.sample[0].country === 'DE';
 */
export async function previewSegment(
  wh: Warehouse,
  target: { name: string } | { definition: unknown },
  options: EvaluateOptions & { sample?: number } = {},
): Promise<Preview> {
  const asOf = resolveAsOf(options.asOf);
  const catalog = await loadCatalog(wh);
  const def = 'name' in target ? requireSegment(catalog, target.name).definition : parseSegmentDefinition(target.definition);
  const sel = 'name' in target ? segmentSelection(catalog, def.name, asOf) : definitionSelection(catalog, def, asOf);
  const db = segmentDb(wh);
  const cx = { asOf, asOfEnd: asOfEnd(asOf) };
  const extra = ruleFields(def.rule)
    .filter((f) => !(sampleColumns as readonly string[]).includes(f.field))
    .slice(0, 6);
  return wh.withConnection(async (q) => {
    const sources = await prepareLive(q, sel, asOf, catalog, options.rfm);
    const [{ n }] = await runCompiled<{ n: number }>(q, fromSelection(db, sel, sources).select(sql<number>`count(*)`.as('n')));
    const [{ total }] = await q.all<{ total: number }>('select count(*) as total from customers');
    const columns = [
      ...sampleColumns.map((col) => sql.ref(`c.${col}`).as(col)),
      ...extra.map((f) => {
        const name = f.window ? `${f.field} (${'last' in f.window ? `last ${f.window.last} ${f.window.unit}` : `${f.window.from ?? '…'}..${f.window.to ?? '…'}`})` : f.field;
        return fieldsByName.get(f.field)!.expr(cx, windowBounds(f.window, asOf)).as(name);
      }),
    ];
    const sample = await runCompiled<Record<string, Plain>>(
      q,
      fromSelection(db, sel, sources)
        .select(columns)
        .orderBy(sql`hash(c.customer_id)`)
        .orderBy(sql`c.customer_id`)
        .limit(options.sample ?? 10),
    );
    await dropLiveTables(q);
    return { segment: def.name, asOf, count: n, customers: total, sample, sources, segments: sel.segments };
  });
}

export interface MemberRow {
  customer_id: number;
  segment_name: string;
  [k: string]: Plain;
}

/**
 * Members of a segment or plan: live as of a day, or from a run's snapshot (`run`).
 * Ordered by customer_id; `limit`/`offset` page through them.
 */
export async function segmentMembers(
  wh: Warehouse,
  target: { segment: string; plan?: undefined } | { plan: string; segment?: string },
  options: EvaluateOptions & { run?: number; limit?: number; offset?: number } = {},
): Promise<{ asOf: string; total: number; rows: MemberRow[]; sources: Sources | { run: number } }> {
  const limit = options.limit ?? 100;
  const offset = options.offset ?? 0;
  const db = segmentDb(wh);
  const catalog = await loadCatalog(wh);
  if (options.run !== undefined) {
    if (target.plan !== undefined) throw new AppError('VALIDATION', 'members of a plan are evaluated live; drop --run or ask for one segment');
    requireSegment(catalog, target.segment);
    const [run] = await wh.all<{ as_of: string }>('select as_of from segment_runs where run_id = $r', { r: options.run });
    if (!run) throw new AppError('NOT_FOUND', `segment run ${options.run} does not exist (see \`crm segment runs\`)`);
    const base = db.selectFrom('segment_membership as m').where('m.run_id', '=', options.run).where('m.segment_name', '=', target.segment);
    const [{ n }] = await base.select((eb) => eb.fn.countAll<number>().as('n')).execute();
    const rows = await base
      .innerJoin('customers as c', 'c.customer_id', 'm.customer_id')
      .select(['m.customer_id', 'm.segment_name', 'c.first_name', 'c.last_name', 'c.email', 'c.country'])
      .orderBy('m.customer_id')
      .limit(limit)
      .offset(offset)
      .execute();
    return { asOf: run.as_of, total: n, rows: rows as MemberRow[], sources: { run: options.run } };
  }
  const asOf = resolveAsOf(options.asOf);
  const sel = target.plan !== undefined ? planSelection(catalog, target.plan, asOf, target.segment) : segmentSelection(catalog, target.segment, asOf);
  return wh.withConnection(async (q) => {
    const sources = await prepareLive(q, sel, asOf, catalog, options.rfm);
    const [{ n }] = await runCompiled<{ n: number }>(q, fromSelection(db, sel, sources).select(sql<number>`count(*)`.as('n')));
    const rows = await runCompiled<MemberRow>(
      q,
      fromSelection(db, sel, sources)
        .select([sql.ref<number>('c.customer_id').as('customer_id'), sel.label.as('segment_name'), 'c.first_name', 'c.last_name', 'c.email', 'c.country'] as never)
        .orderBy(sql`c.customer_id`)
        .limit(limit)
        .offset(offset),
    );
    await dropLiveTables(q);
    return { asOf, total: n, rows, sources };
  });
}

/**
 * How a plan splits customers: per segment, members before priority (qualify) and after (assigned).
 */
export async function previewPlan(wh: Warehouse, planName: string, options: EvaluateOptions = {}): Promise<{ plan: string; asOf: string; rows: { priority: number; segment: string; qualify: number; assigned: number }[]; total: number }> {
  const asOf = resolveAsOf(options.asOf);
  const catalog = await loadCatalog(wh);
  const plan = requirePlan(catalog, planName);
  const sel = planSelection(catalog, planName, asOf);
  const db = segmentDb(wh);
  const singles = plan.definition.segments.map((n) => segmentSelection(catalog, n, asOf));
  return wh.withConnection(async (q) => {
    const sources = await prepareLive(q, { ...sel, needsRfm: sel.needsRfm, needsValue: sel.needsValue }, asOf, catalog, options.rfm);
    const select = fromSelection(db, sel, sources).select([
      sel.label.as('assigned'),
      ...singles.map((s, i) => sql<boolean>`${s.predicate}`.as(`q${i}`)),
    ] as never);
    const counted = db
      .selectFrom(select.as('x') as never)
      .select([
        sql<number>`count(*)`.as('total'),
        ...plan.definition.segments.flatMap((n, i) => [
          sql<number>`count(*) filter (where ${sql.ref(`x.q${i}`)})`.as(`q${i}`),
          sql<number>`count(*) filter (where x.assigned = ${n})`.as(`a${i}`),
        ]),
      ] as never);
    const [row] = await runCompiled<Record<string, number>>(q, counted);
    await dropLiveTables(q);
    return {
      plan: planName,
      asOf,
      total: row.total,
      rows: plan.definition.segments.map((segment, i) => ({ priority: i + 1, segment, qualify: row[`q${i}`], assigned: row[`a${i}`] })),
    };
  });
}

export { runCompiled };
