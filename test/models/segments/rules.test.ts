import { DummyDriver, Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler } from 'kysely';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../../src/errors.ts';
import {
  canonicalJson,
  checkRule,
  compileRule,
  expandScoreMap,
  loadScoreMap,
  parseScoreMap,
  parseSegmentDefinition,
  segmentDefinitionSchema,
  windowBounds,
} from '../../../src/models/segments/index.ts';
import { subtractUnits } from '../../../src/models/segments/windows.ts';

const problems = (rule: unknown) => checkRule(rule).issues.map((i) => `${i.path.join('.')}: ${i.message}`);

describe('rule validation', () => {
  it('accepts every rule kind', () => {
    const rule = {
      all: [
        { field: 'country', op: 'in', value: ['DE', 'AT'] },
        { any: [{ field: 'orders', op: 'gte', value: 3, window: { last: 90, unit: 'days' } }, { not: { field: 'email_opt_in', op: 'is_true' } }] },
        { event: 'order', where: { category: 'shoes' }, window: { from: '2026-01-01', to: '2026-03-31' }, count: { op: 'eq', value: 0 } },
        { field: 'acquired_at', op: 'in_last', value: 2, unit: 'months' },
        { segment: 'best-customers', exclude: true },
      ],
    };
    expect(checkRule(rule).issues).toEqual([]);
    expect(checkRule(rule).rule).toEqual(rule);
  });

  it('names an unknown field, suggests the closest and lists the valid ones', () => {
    const [p] = problems({ field: 'contry', op: 'eq', value: 'DE' });
    expect(p).toMatch(/^field: unknown field "contry" \(did you mean "country"\?\); valid fields: customer_id, .*country.*clv/);
  });

  it('rejects an operator that does not fit the field type, listing the valid ones', () => {
    expect(problems({ field: 'orders', op: 'contains', value: 'x' })).toEqual([
      'op: operator "contains" does not apply to number field "orders"; valid operators: eq, neq, lt, lte, gt, gte, between, in, not_in, is_null, not_null',
    ]);
    expect(problems({ field: 'country', op: 'gt', value: 'DE' })[0]).toMatch(/operator "gt" does not apply to text field "country"/);
    expect(problems({ field: 'do_not_contact', op: 'eq', value: true })[0]).toMatch(/valid operators: is_true, is_false, is_null, not_null/);
    expect(problems({ field: 'country', op: 'sounds_like', value: 'DE' })[0]).toMatch(/^op: unknown operator "sounds_like"; valid operators: eq, /);
  });

  it('checks values against the field type and operator', () => {
    expect(problems({ field: 'country', op: 'eq', value: 3 })).toEqual(['value: eq on "country" needs a string, got 3']);
    expect(problems({ field: 'revenue', op: 'between', value: [500, 100] })).toEqual(['value: between: low 500 is above high 100']);
    expect(problems({ field: 'country', op: 'in', value: [] })[0]).toMatch(/needs a non-empty list/);
    expect(problems({ field: 'acquired_at', op: 'before', value: 'yesterday' })[0]).toMatch(/needs a date 'YYYY-MM-DD'/);
    expect(problems({ field: 'acquired_at', op: 'in_last', value: -3 })[0]).toMatch(/positive whole number of days/);
    expect(problems({ field: 'country', op: 'is_null', value: 'x' })).toEqual(['value: is_null on "country" needs no value, got "x"']);
    expect(problems({ field: 'churn_tier', op: 'eq', value: 'at-risk' })[0]).toMatch(/"at-risk" is not a value of "churn_tier" \(did you mean "at_risk"\?\)/);
    expect(problems({ field: 'country', op: 'eq', value: 'DE', window: { last: 3 } })[0]).toMatch(/field "country" takes no window; windowed fields: orders, revenue/);
  });

  it('reports every problem with its key path, and unknown keys', () => {
    expect(
      problems({
        all: [{ field: 'orders', op: 'gte', value: 1, windw: { last: 3 } }, { event: 'order', where: { colour: 'red' } }, { any: [] }, 'x', { segmnt: 'a' }],
      }),
    ).toEqual([
      'all.0: unknown key "windw" in a "field" rule',
      'all.1.where.colour: event "order" has no attribute "colour"; valid: status, channel, campaign_id, currency, employee_id, category, product_id',
      'all.2.any: "any" needs at least one rule',
      'all.3: expected a rule object with one of: all, any, not, field, event, segment',
      'all.4: a rule needs one of: all, any, not, field, event, segment; got segmnt',
    ]);
    expect(problems({ all: [], any: [] })[0]).toMatch(/"all" stands alone/);
    expect(problems({ event: 'purchase' })[0]).toMatch(/unknown event "purchase".*valid events: order, campaign_sent/);
    expect(problems({ event: 'order', window: { from: '2026-03-01', to: '2026-01-01' } })[0]).toMatch(/"from" is after "to"/);
  });

  it('validates whole definitions through zod, naming the file', () => {
    const bad = segmentDefinitionSchema.safeParse({ name: 'Bad Name', rule: { field: 'x', op: 'eq' } });
    expect(bad.success).toBe(false);
    expect(() => parseSegmentDefinition({ name: 'ok', rule: { field: 'contry', op: 'eq', value: 'DE' } }, 'seg.json')).toThrow(/^seg\.json: rule\.field: unknown field "contry"/);
    expect(() => parseSegmentDefinition({ name: 'ok', rule: { all: [] }, extra: 1 })).toThrow(/Unrecognized key/);
  });

  it('compiles with every value bound and identifiers quoted from the whitelist', () => {
    const db = new Kysely<Record<string, Record<string, unknown>>>({
      dialect: { createAdapter: () => new PostgresAdapter(), createDriver: () => new DummyDriver(), createIntrospector: (k) => new PostgresIntrospector(k), createQueryCompiler: () => new PostgresQueryCompiler() },
    });
    const lookup = { rule: () => undefined, names: () => [] };
    const evil = "DE'; drop table customers; --";
    const c = compileRule(
      { all: [{ field: 'country', op: 'eq', value: evil }, { field: 'orders', op: 'gte', value: 2, window: { last: 30 } }, { event: 'order', where: { category: ['shoes', 'bags'] } }] },
      { asOf: '2026-06-30', lookup },
    );
    expect(c).toMatchObject({ needsRfm: false, needsValue: false, segments: [] });
    const q = db.selectFrom('customers as c').select('c.customer_id').where(c.predicate).compile();
    expect(q.sql).not.toContain('drop table');
    expect(q.sql).toContain('coalesce("c"."country" = $1, false)');
    expect(q.sql).toContain('exists (select 1 from "orders" e where e.customer_id = c.customer_id');
    expect(q.parameters).toEqual([evil, '2026-06-01T00:00:00.000Z', '2026-07-01T00:00:00.000Z', 2, '2026-07-01T00:00:00.000Z', 'completed', 'returned', 'shoes', 'bags']);
    expect(compileRule({ field: 'rfm_r', op: 'gte', value: 4 }, { asOf: '2026-06-30', lookup }).needsRfm).toBe(true);
    expect(compileRule({ field: 'p_alive', op: 'lt', value: 0.5 }, { asOf: '2026-06-30', lookup }).needsValue).toBe(true);
  });

  it('detects cycles between segments and unknown references', () => {
    const rules: Record<string, unknown> = { a: { segment: 'b' }, b: { all: [{ segment: 'c' }] }, c: { not: { segment: 'a' } } };
    const lookup = { rule: (n: string) => rules[n] as never, names: () => Object.keys(rules) };
    const err = (() => {
      try {
        compileRule(rules.a as never, { asOf: '2026-06-30', lookup, self: 'a' });
      } catch (e) {
        return e as AppError;
      }
    })();
    expect(err?.code).toBe('VALIDATION');
    expect(err?.message).toBe('rule: segments refer to each other in a cycle: a → b → c → a; remove one of these references');
    expect(() => compileRule({ segment: 'zz' }, { asOf: '2026-06-30', lookup })).toThrow('unknown segment "zz"; known segments: a, b, c');
  });

  it('hashes canonical JSON independent of key order', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: null } })).toBe('{"a":{"c":null,"d":[1,{"x":1,"y":2}]},"b":1}');
  });
});

describe('windows', () => {
  it('ends at the close of the as-of day and never reaches past it', () => {
    expect(windowBounds(undefined, '2026-06-30')).toEqual({ from: null, to: '2026-07-01T00:00:00.000Z' });
    expect(windowBounds({ last: 90, unit: 'days' }, '2026-06-30')).toEqual({ from: '2026-04-02T00:00:00.000Z', to: '2026-07-01T00:00:00.000Z' });
    expect(windowBounds({ last: 1, unit: 'months' }, '2026-06-30')).toEqual({ from: '2026-06-01T00:00:00.000Z', to: '2026-07-01T00:00:00.000Z' });
    expect(windowBounds({ from: '2026-01-01', to: '2026-01-31' }, '2026-06-30')).toEqual({ from: '2026-01-01T00:00:00.000Z', to: '2026-02-01T00:00:00.000Z' });
    expect(windowBounds({ from: '2026-06-01', to: '2026-12-31' }, '2026-06-30').to).toBe('2026-07-01T00:00:00.000Z');
    expect(windowBounds({ to: '2026-03-31' }, '2026-06-30')).toEqual({ from: null, to: '2026-04-01T00:00:00.000Z' });
  });

  it('clamps month arithmetic to the end of the month', () => {
    expect(subtractUnits('2026-03-31T00:00:00.000Z', 1, 'months')).toBe('2026-02-28T00:00:00.000Z');
    expect(subtractUnits('2024-03-31T00:00:00.000Z', 1, 'months')).toBe('2024-02-29T00:00:00.000Z');
    expect(subtractUnits('2026-03-01T00:00:00.000Z', 1, 'years')).toBe('2025-03-01T00:00:00.000Z');
    expect(subtractUnits('2026-03-01T00:00:00.000Z', 2, 'weeks')).toBe('2026-02-15T00:00:00.000Z');
  });
});

describe('RFM score map', () => {
  it('the default map names all 125 cells with the eleven standard segments', () => {
    const map = loadScoreMap();
    const cells = expandScoreMap(map);
    expect(cells).toHaveLength(125);
    expect(new Set(cells.map((c) => c.label))).toEqual(
      new Set(['Champions', 'Loyal', 'Potential Loyalist', 'New', 'Promising', 'Need Attention', 'About to Sleep', 'At Risk', "Can't Lose Them", 'Hibernating', 'Lost']),
    );
    const at = (r: number, f: number, m: number) => cells.find((c) => c.r === r && c.f === f && c.m === m)!.segment;
    expect(at(5, 5, 5)).toBe('champions');
    expect(at(4, 5, 5)).toBe('champions');
    expect(at(4, 4, 4)).toBe('loyal');
    expect(at(5, 1, 1)).toBe('new');
    expect(at(4, 1, 1)).toBe('promising');
    expect(at(3, 3, 3)).toBe('need-attention');
    expect(at(3, 1, 2)).toBe('about-to-sleep'); // fm = round half up of 1.5 = 2
    expect(at(2, 3, 4)).toBe('at-risk'); // fm 4
    expect(at(1, 5, 4)).toBe('cant-lose-them'); // fm = 5
    expect(at(2, 1, 1)).toBe('hibernating');
    expect(at(1, 2, 1)).toBe('lost');
  });

  it('refuses a map that leaves cells unnamed, listing them', () => {
    expect(() => parseScoreMap({ segments: [{ name: 'top', label: 'Top', when: [{ r: [2, 5] }] }] }, 'map.json')).toThrow(
      /^map\.json:segments: the score map leaves 25 \(r, f, m\) cells without a segment: 111, 112, 113/,
    );
    expect(() => parseScoreMap({ segments: [{ name: 'x', label: 'X', when: [{ r: [4, 2] }] }] })).toThrow(/low is above high/);
  });
});
