import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ValidationError } from '../../errors.ts';
import { allOperators, countOperators, eventNames, eventsByName, fieldNames, fieldsByName, operatorsByKind, type ValueKind } from './fields.ts';
import { windowSchema, windowUnits, type Window, type WindowUnit } from './windows.ts';

/**
 * The segment rule tree. A rule is one of
 *   { all: [rule…] }  { any: [rule…] }  { not: rule }
 *   { field, op, value?, unit?, window? }                 a trait, metric, RFM or CLV field
 *   { event, where?, window?, count? }                    behaviour: how often something happened
 *   { segment, exclude? }                                 membership of another segment
 * Parsing walks the tree node by node (a zod schema per node kind) so that every problem is reported
 * with its key path, all at once, and says what would have been valid.
 */

export type Scalar = string | number | boolean;
export type CountOp = (typeof countOperators)[number];

export interface FieldRule {
  field: string;
  op: string;
  value?: Scalar | Scalar[];
  unit?: WindowUnit;
  window?: Window;
}
export interface EventRule {
  event: string;
  where?: Record<string, Scalar | Scalar[]>;
  window?: Window;
  count?: { op: CountOp; value: number };
}
export interface SegmentRefRule {
  segment: string;
  exclude?: boolean;
}
export type Rule = { all: Rule[] } | { any: Rule[] } | { not: Rule } | FieldRule | EventRule | SegmentRefRule;

export const slugSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'use 1–63 lowercase letters, digits, "-" or "_", starting with a letter or digit');

const scalar = z.union([z.string(), z.number(), z.boolean()]);
const ruleKinds = ['all', 'any', 'not', 'field', 'event', 'segment'] as const;

const listOf = (xs: readonly string[]) => xs.join(', ');

/** Levenshtein distance, for "did you mean". */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
  return d[a.length][b.length];
}
export function suggest(input: string, valid: readonly string[]): string {
  const best = valid.map((v) => ({ v, d: distance(input.toLowerCase(), v) })).sort((x, y) => x.d - y.d)[0];
  return best && best.d <= Math.max(2, Math.floor(input.length / 3)) ? ` (did you mean "${best.v}"?)` : '';
}

const fieldNode = z
  .object({
    field: z.enum(fieldNames, { error: (i) => `unknown field ${JSON.stringify(i.input)}${typeof i.input === 'string' ? suggest(i.input, fieldNames) : ''}; valid fields: ${listOf(fieldNames)}` }),
    op: z.enum(allOperators, { error: (i) => `unknown operator ${JSON.stringify(i.input)}; valid operators: ${listOf(allOperators)}` }),
    value: z.union([scalar, z.array(scalar)]).optional(),
    unit: z.enum(windowUnits).optional(),
    window: windowSchema.optional(),
  })
  .strict();
const eventNode = z
  .object({
    event: z.enum(eventNames, { error: (i) => `unknown event ${JSON.stringify(i.input)}${typeof i.input === 'string' ? suggest(i.input, eventNames) : ''}; valid events: ${listOf(eventNames)}` }),
    where: z.record(z.string(), z.union([scalar, z.array(scalar).min(1)])).optional(),
    window: windowSchema.optional(),
    count: z.object({ op: z.enum(countOperators), value: z.int().min(0) }).strict().optional(),
  })
  .strict();
const segmentNode = z.object({ segment: slugSchema, exclude: z.boolean().optional() }).strict();

export interface Issue {
  path: (string | number)[];
  message: string;
}

const isDate = (v: unknown) => typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v) && !Number.isNaN(Date.parse(`${v}T00:00:00Z`));
const isInstant = (v: unknown) => typeof v === 'string' && (isDate(v) || (/^\d{4}-\d{2}-\d{2}T/.test(v) && !Number.isNaN(Date.parse(v))));
const typeOk: Record<ValueKind, (v: unknown) => boolean> = {
  text: (v) => typeof v === 'string',
  number: (v) => typeof v === 'number' && Number.isFinite(v),
  boolean: (v) => typeof v === 'boolean',
  timestamp: isInstant,
};
const kindWord: Record<ValueKind, string> = { text: 'a string', number: 'a number', boolean: 'true or false', timestamp: "a date 'YYYY-MM-DD' or an ISO timestamp" };

/** Checks a field condition's operator and value against the field's kind. */
function checkField(node: FieldRule, path: (string | number)[], issues: Issue[]): void {
  const def = fieldsByName.get(node.field)!;
  const ops = operatorsByKind[def.kind];
  const at = (k: string) => [...path, k];
  if (!ops.includes(node.op)) {
    issues.push({ path: at('op'), message: `operator "${node.op}" does not apply to ${def.kind} field "${def.name}"; valid operators: ${listOf(ops)}` });
    return;
  }
  if (node.window && !def.windowed) issues.push({ path: at('window'), message: `field "${def.name}" takes no window; windowed fields: ${listOf(fieldNames.filter((f) => fieldsByName.get(f)!.windowed))}` });
  if (node.unit && !['in_last', 'not_in_last'].includes(node.op)) issues.push({ path: at('unit'), message: `"unit" only goes with in_last / not_in_last` });
  const v = node.value;
  const need = (ok: boolean, what: string) => {
    if (!ok) issues.push({ path: at('value'), message: `${node.op} on "${def.name}" needs ${what}, got ${JSON.stringify(v)}` });
    return ok;
  };
  const one = typeOk[def.kind];
  const closed = (x: unknown) => {
    if (def.values && typeof x === 'string' && !def.values.includes(x))
      issues.push({ path: at('value'), message: `"${x}" is not a value of "${def.name}"${suggest(x, def.values)}; valid values: ${listOf(def.values)}` });
  };
  switch (node.op) {
    case 'is_null':
    case 'not_null':
    case 'is_true':
    case 'is_false':
      need(v === undefined, 'no value');
      break;
    case 'in':
    case 'not_in':
      if (need(Array.isArray(v) && v.length > 0 && v.every(one), `a non-empty list of ${kindWord[def.kind].replace(/^an? /, '')} values`)) (v as Scalar[]).forEach(closed);
      break;
    case 'between':
      if (need(Array.isArray(v) && v.length === 2 && v.every(one), `[low, high], each ${kindWord[def.kind]}`)) {
        const [lo, hi] = v as Scalar[];
        if (lo > hi) issues.push({ path: at('value'), message: `between: low ${JSON.stringify(lo)} is above high ${JSON.stringify(hi)}` });
      }
      break;
    case 'in_last':
    case 'not_in_last':
      need(typeof v === 'number' && Number.isInteger(v) && v > 0, `a positive whole number of ${node.unit ?? 'days'} (set "unit": ${listOf(windowUnits)})`);
      break;
    case 'contains':
    case 'starts_with':
    case 'ends_with':
      need(typeof v === 'string' && v.length > 0, 'a non-empty string');
      break;
    default:
      if (need(!Array.isArray(v) && v !== undefined && one(v), kindWord[def.kind])) closed(v);
  }
}

function checkEvent(node: EventRule, path: (string | number)[], issues: Issue[]): void {
  const def = eventsByName.get(node.event)!;
  const keys = Object.keys(def.where);
  for (const k of Object.keys(node.where ?? {})) {
    if (!keys.includes(k)) issues.push({ path: [...path, 'where', k], message: `event "${def.name}" has no attribute "${k}"${suggest(k, keys)}; valid: ${listOf(keys)}` });
  }
}

function formatIssuePath(path: (string | number)[]): string {
  return path.length ? path.map(String).join('.') : '(root)';
}

function walk(input: unknown, path: (string | number)[], issues: Issue[]): Rule | undefined {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    issues.push({ path, message: `expected a rule object with one of: ${listOf(ruleKinds)}` });
    return undefined;
  }
  const obj = input as Record<string, unknown>;
  const kind = ruleKinds.find((k) => k in obj);
  if (!kind) {
    const keys = Object.keys(obj);
    issues.push({ path, message: `a rule needs one of: ${listOf(ruleKinds)}${keys.length ? `; got ${listOf(keys)}` : ''}` });
    return undefined;
  }
  const zodIssues = (error: z.ZodError) => {
    for (const i of error.issues) {
      const extra = i.code === 'unrecognized_keys' ? `unknown key${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => `"${k}"`).join(', ')} in a "${kind}" rule` : i.message;
      issues.push({ path: [...path, ...i.path.map((p) => (typeof p === 'number' ? p : String(p)))], message: extra });
    }
  };
  if (kind === 'all' || kind === 'any') {
    const extra = Object.keys(obj).filter((k) => k !== kind);
    if (extra.length) issues.push({ path, message: `"${kind}" stands alone; move ${listOf(extra.map((k) => `"${k}"`))} into its list` });
    const list = obj[kind];
    if (!Array.isArray(list)) {
      issues.push({ path: [...path, kind], message: 'expected a list of rules' });
      return undefined;
    }
    if (kind === 'any' && list.length === 0) issues.push({ path: [...path, kind], message: '"any" needs at least one rule' });
    const children = list.map((child, i) => walk(child, [...path, kind, i], issues));
    return children.every(Boolean) ? ({ [kind]: children } as Rule) : undefined;
  }
  if (kind === 'not') {
    const extra = Object.keys(obj).filter((k) => k !== 'not');
    if (extra.length) issues.push({ path, message: `"not" stands alone; move ${listOf(extra.map((k) => `"${k}"`))} inside it` });
    const inner = walk(obj.not, [...path, 'not'], issues);
    return inner && { not: inner };
  }
  /** A leaf: its zod schema for shape and unknown keys, then the semantic check; undefined keys dropped. */
  const leaf = <T>(schema: z.ZodType, check: (node: T) => void): T | undefined => {
    const parsed = schema.safeParse(obj);
    if (!parsed.success) return void zodIssues(parsed.error);
    const node = Object.fromEntries(Object.entries(parsed.data as object).filter(([, v]) => v !== undefined)) as T;
    check(node);
    return node;
  };
  if (kind === 'field') return leaf<FieldRule>(fieldNode, (n) => checkField(n, path, issues));
  if (kind === 'event') return leaf<EventRule>(eventNode, (n) => checkEvent(n, path, issues));
  const parsed = segmentNode.safeParse(obj);
  if (!parsed.success) return void zodIssues(parsed.error);
  return parsed.data.exclude === undefined ? { segment: parsed.data.segment } : parsed.data;
}

/** Parses a rule tree, collecting every problem; returns the rule or the problems. */
export function checkRule(input: unknown, basePath: (string | number)[] = []): { rule?: Rule; issues: Issue[] } {
  const issues: Issue[] = [];
  const rule = walk(input, basePath, issues);
  return issues.length ? { issues } : { rule, issues };
}

/** The rule tree as a zod schema (for definitions embedded in other zod-validated input, e.g. HTTP bodies). */
export const ruleSchema = z.unknown().transform((input, ctx) => {
  const { rule, issues } = checkRule(input);
  for (const i of issues) ctx.addIssue({ code: 'custom', message: i.message, path: i.path });
  return (rule ?? z.NEVER) as Rule;
});

export const segmentDefinitionSchema = z
  .object({
    name: slugSchema,
    label: z.string().min(1).max(200).optional(),
    description: z.string().max(2000).optional(),
    tags: z.array(z.string().min(1)).optional(),
    rule: ruleSchema,
  })
  .strict();
export type SegmentDefinition = z.infer<typeof segmentDefinitionSchema>;

export const planDefinitionSchema = z
  .object({
    name: slugSchema,
    label: z.string().min(1).max(200).optional(),
    description: z.string().max(2000).optional(),
    /** Segments in priority order: a customer goes to the first one they qualify for. */
    segments: z
      .array(slugSchema)
      .min(1)
      .refine((s) => new Set(s).size === s.length, { message: 'a segment is listed twice' }),
  })
  .strict();
export type PlanDefinition = z.infer<typeof planDefinitionSchema>;

/** Turns zod issues into one ValidationError naming the file and each key path. */
export function issuesError(issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>, file?: string): ValidationError {
  const lines = issues.map((i) => `${formatIssuePath(i.path.map((p) => (typeof p === 'number' ? p : String(p))))}: ${i.message}`);
  return new ValidationError(lines.length === 1 ? lines[0] : `${lines.length} problems:\n  ${lines.join('\n  ')}`, { file }, {
    issues: issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })),
  });
}

/** Validates a segment definition (parsed JSON); throws a ValidationError listing every problem. */
export function parseSegmentDefinition(input: unknown, file?: string): SegmentDefinition {
  const parsed = segmentDefinitionSchema.safeParse(input);
  if (!parsed.success) throw issuesError(parsed.error.issues, file);
  return parsed.data;
}

export function parsePlanDefinition(input: unknown, file?: string): PlanDefinition {
  const parsed = planDefinitionSchema.safeParse(input);
  if (!parsed.success) throw issuesError(parsed.error.issues, file);
  return parsed.data;
}

/** JSON with keys sorted at every level, so equal content hashes equally. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object')
    return `{${Object.keys(v)
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v);
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The segments a rule refers to, in order of appearance. */
export function referencedSegments(rule: Rule): string[] {
  const out: string[] = [];
  const visit = (r: Rule) => {
    if ('all' in r) r.all.forEach(visit);
    else if ('any' in r) r.any.forEach(visit);
    else if ('not' in r) visit(r.not);
    else if ('segment' in r && !out.includes(r.segment)) out.push(r.segment);
  };
  visit(rule);
  return out;
}
