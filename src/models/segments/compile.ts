import { sql, type RawBuilder, type SqlBool } from 'kysely';
import { AppError, ValidationError } from '../../errors.ts';
import { eventsByName, fieldsByName, inBounds, type ExprContext } from './fields.ts';
import type { EventRule, FieldRule, Rule, Scalar } from './rules.ts';
import { asOfEnd, subtractUnits, windowBounds } from './windows.ts';

/**
 * Rule tree → one boolean SQL expression over a customer row `c` (with `rfm` and `cv` left-joined
 * when the rule needs them). Every value is a bound parameter; every identifier comes from the field
 * and event whitelists in fields.ts. Each leaf is wrapped in coalesce(…, false), so a rule is never
 * unknown: `not` is the exact complement, and "not in segment X" includes customers whose fields are
 * null.
 *
 * Membership of another segment is compiled inline (that segment's own rule, evaluated on the same
 * row and as-of day), so nested segments are always consistent with each other; a cycle is an error.
 */

export interface SegmentLookup {
  /** The current rule of a segment, or undefined when there is no such segment. */
  rule(name: string): Rule | undefined;
  /** Every segment name, for "unknown segment" messages. */
  names(): string[];
}

export interface CompiledRule {
  predicate: RawBuilder<SqlBool>;
  needsRfm: boolean;
  needsValue: boolean;
  /** Segments referenced, directly or through others. */
  segments: string[];
}

interface State extends ExprContext {
  lookup: SegmentLookup;
  stack: string[];
  needsRfm: boolean;
  needsValue: boolean;
  segments: Set<string>;
}

const ts = (v: string) => sql`cast(${v} as timestamptz)`;
const isDateOnly = (v: string) => /^\d{4}-\d{2}-\d{2}$/.test(v);
const dayStart = (v: string) => `${v}T00:00:00.000Z`;
const nextDayStart = (v: string) => new Date(Date.parse(dayStart(v)) + 86_400_000).toISOString();
const list = (vals: Scalar[]) => sql.join(vals.map((v) => sql`${v}`));

function fieldPredicate(node: FieldRule, st: State): RawBuilder<unknown> {
  const def = fieldsByName.get(node.field)!;
  if (def.group === 'rfm') st.needsRfm = true;
  if (def.group === 'value') st.needsValue = true;
  const e = def.expr(st, windowBounds(node.window, st.asOf));
  const v = node.value as Scalar;
  const vs = node.value as Scalar[];
  switch (node.op) {
    case 'eq':
      return sql`${e} = ${v}`;
    case 'neq':
      return sql`${e} is distinct from ${v}`;
    case 'lt':
      return sql`${e} < ${v}`;
    case 'lte':
      return sql`${e} <= ${v}`;
    case 'gt':
      return sql`${e} > ${v}`;
    case 'gte':
      return sql`${e} >= ${v}`;
    case 'in':
      return sql`${e} in (${list(vs)})`;
    case 'not_in':
      return sql`(${e} is null or ${e} not in (${list(vs)}))`;
    case 'contains':
      return sql`contains(lower(${e}), ${String(v).toLowerCase()})`;
    case 'starts_with':
      return sql`starts_with(lower(${e}), ${String(v).toLowerCase()})`;
    case 'ends_with':
      return sql`suffix(lower(${e}), ${String(v).toLowerCase()})`;
    case 'is_null':
      return sql`${e} is null`;
    case 'not_null':
      return sql`${e} is not null`;
    case 'is_true':
      return sql`${e} is true`;
    case 'is_false':
      return sql`${e} is false`;
    case 'before': {
      const s = String(v);
      return sql`${e} < ${ts(isDateOnly(s) ? dayStart(s) : s)}`;
    }
    case 'after': {
      const s = String(v);
      return isDateOnly(s) ? sql`${e} >= ${ts(nextDayStart(s))}` : sql`${e} > ${ts(s)}`;
    }
    case 'between': {
      const [lo, hi] = vs;
      if (def.kind === 'number') return sql`${e} between ${lo} and ${hi}`;
      const [l, h] = [String(lo), String(hi)];
      const upper = isDateOnly(h) ? sql`${e} < ${ts(nextDayStart(h))}` : sql`${e} <= ${ts(h)}`;
      return sql`${e} >= ${ts(isDateOnly(l) ? dayStart(l) : l)} and ${upper}`;
    }
    case 'in_last':
      return sql`${e} >= ${ts(subtractUnits(st.asOfEnd, Number(v), node.unit ?? 'days'))} and ${e} < ${ts(st.asOfEnd)}`;
    case 'not_in_last':
      return sql`${e} < ${ts(subtractUnits(st.asOfEnd, Number(v), node.unit ?? 'days'))}`;
    default:
      throw new AppError('INTERNAL', `operator ${node.op} passed validation but has no SQL`);
  }
}

const countSql: Record<string, string> = { eq: '=', neq: '<>', lt: '<', lte: '<=', gt: '>', gte: '>=' };

function eventPredicate(node: EventRule, st: State): RawBuilder<unknown> {
  const def = eventsByName.get(node.event)!;
  const w = windowBounds(node.window, st.asOf);
  const conds: RawBuilder<unknown>[] = [sql`e.customer_id = c.customer_id`, inBounds(sql.ref(`e.${def.time}`), w)];
  const where = node.where ?? {};
  const columns = Object.keys(where).map((k) => def.where[k]);
  if (def.always) conds.push(sql.raw(def.always));
  if (def.base && !columns.includes(def.base.column))
    conds.push('values' in def.base ? sql`${sql.ref(`e.${def.base.column}`)} in (${list(def.base.values)})` : sql.raw(def.base.sql));
  const lineConds: RawBuilder<unknown>[] = [];
  for (const [key, value] of Object.entries(where)) {
    const column = def.where[key];
    const target = column === 'line' ? sql.ref(key === 'category' ? 'p.category' : `ol.${key}`) : sql.ref(`e.${column}`);
    const cond = Array.isArray(value) ? sql`${target} in (${list(value)})` : sql`${target} = ${value}`;
    (column === 'line' ? lineConds : conds).push(cond);
  }
  if (lineConds.length)
    conds.push(sql`exists (select 1 from order_lines ol left join products p on p.product_id = ol.product_id
      where ol.order_id = e.order_id and ${sql.join(lineConds, sql` and `)})`);
  const from = sql`from ${sql.table(def.table)} e where ${sql.join(conds, sql` and `)}`;
  const { op, value } = node.count ?? { op: 'gte', value: 1 };
  if ((op === 'gte' && value === 1) || (op === 'gt' && value === 0) || (op === 'neq' && value === 0)) return sql`exists (select 1 ${from})`;
  if ((op === 'eq' && value === 0) || (op === 'lt' && value === 1) || (op === 'lte' && value === 0)) return sql`not exists (select 1 ${from})`;
  return sql`(select count(*) ${from}) ${sql.raw(countSql[op])} ${value}`;
}

function compileNode(rule: Rule, st: State): RawBuilder<SqlBool> {
  if ('all' in rule) {
    if (rule.all.length === 0) return sql<SqlBool>`true`;
    return sql<SqlBool>`(${sql.join(rule.all.map((r) => compileNode(r, st)), sql` and `)})`;
  }
  if ('any' in rule) return sql<SqlBool>`(${sql.join(rule.any.map((r) => compileNode(r, st)), sql` or `)})`;
  if ('not' in rule) return sql<SqlBool>`(not ${compileNode(rule.not, st)})`;
  if ('field' in rule) return sql<SqlBool>`coalesce(${fieldPredicate(rule, st)}, false)`;
  if ('event' in rule) return sql<SqlBool>`coalesce(${eventPredicate(rule, st)}, false)`;
  const name = rule.segment;
  if (st.stack.includes(name)) {
    const cycle = [...st.stack.slice(st.stack.indexOf(name)), name];
    throw new ValidationError(`segments refer to each other in a cycle: ${cycle.join(' → ')}; remove one of these references`, { field: 'rule' }, { cycle });
  }
  const inner = st.lookup.rule(name);
  if (!inner) {
    const names = st.lookup.names();
    throw new ValidationError(`unknown segment "${name}"${names.length ? `; known segments: ${names.join(', ')}` : ''}`, { field: 'rule' });
  }
  st.segments.add(name);
  st.stack.push(name);
  const compiled = compileNode(inner, st);
  st.stack.pop();
  return rule.exclude ? sql<SqlBool>`(not ${compiled})` : compiled;
}

/**
 * Compiles a rule as of a day. `self` is the segment being compiled (for cycle detection).
 *
 * @example
 * const c = compileRule({ field: 'country', op: 'in', value: ['DE', 'AT'] }, { asOf: '2026-06-30', lookup });
 * // c.predicate: coalesce("c"."country" in ($1, $2), false)
 */
export function compileRule(rule: Rule, opts: { asOf: string; lookup: SegmentLookup; self?: string }): CompiledRule {
  const st: State = {
    asOf: opts.asOf,
    asOfEnd: asOfEnd(opts.asOf),
    lookup: opts.lookup,
    stack: opts.self ? [opts.self] : [],
    needsRfm: false,
    needsValue: false,
    segments: new Set(),
  };
  const predicate = compileNode(rule, st);
  return { predicate, needsRfm: st.needsRfm, needsValue: st.needsValue, segments: [...st.segments] };
}
