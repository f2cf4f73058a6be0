import { sql, type RawBuilder } from 'kysely';
import { fieldSpecs } from '../../warehouse/entities.ts';
import type { Bounds } from './windows.ts';

/**
 * What a segment rule may talk about: the field and event whitelists. Every identifier that reaches
 * SQL comes from these tables (customer traits are derived from the `customers` zod entity schema),
 * and the rule schema's enums are built from their names, so an unknown name never gets near SQL.
 *
 * Expressions are written against these aliases: `c` (customers), `rfm` (RFM scores of the run or
 * of the live evaluation), `cv` (the clv model's `customer_value`).
 */

export type ValueKind = 'text' | 'number' | 'boolean' | 'timestamp';
export type FieldGroup = 'trait' | 'metric' | 'rfm' | 'value';

export interface ExprContext {
  /** 'YYYY-MM-DD' */
  asOf: string;
  /** ISO instant: asOf + 1 day, 00:00Z. */
  asOfEnd: string;
}

export interface FieldDef {
  name: string;
  kind: ValueKind;
  group: FieldGroup;
  description: string;
  /** Accepts a `window` (defaults to all history up to the as-of day). */
  windowed?: boolean;
  /** The accepted values of a text field with a closed set. */
  values?: readonly string[];
  expr(cx: ExprContext, w: Bounds): RawBuilder<unknown>;
}

export const operatorsByKind: Record<ValueKind, readonly string[]> = {
  text: ['eq', 'neq', 'in', 'not_in', 'contains', 'starts_with', 'ends_with', 'is_null', 'not_null'],
  number: ['eq', 'neq', 'lt', 'lte', 'gt', 'gte', 'between', 'in', 'not_in', 'is_null', 'not_null'],
  boolean: ['is_true', 'is_false', 'is_null', 'not_null'],
  timestamp: ['before', 'after', 'between', 'in_last', 'not_in_last', 'is_null', 'not_null'],
};
export const allOperators = [...new Set(Object.values(operatorsByKind).flat())] as [string, ...string[]];

const ts = (v: string) => sql`cast(${v} as timestamptz)`;
/** `and <col> >= from and <col> < to` for a window. */
export function inBounds(col: RawBuilder<unknown>, w: Bounds): RawBuilder<unknown> {
  return w.from === null ? sql`${col} < ${ts(w.to)}` : sql`${col} >= ${ts(w.from)} and ${col} < ${ts(w.to)}`;
}

/** Purchases as the clv model defines them (view model_purchases): completed or returned orders, valued net of refunds. */
const purchasesIn = (w: Bounds) => sql`from model_purchases o where o.customer_id = c.customer_id and ${inBounds(sql.ref('o.ordered_at'), w)}`;
/**
 * The same purchases read straight from `orders` (completed or returned, total ≥ 0 — the rows of
 * model_purchases), for counts and dates: they need no refund arithmetic, and skipping the view's
 * refund aggregation over order_lines makes them several times faster on large warehouses.
 */
export const purchaseFilter = "o.status in ('completed', 'returned') and o.total_amount >= 0";
const purchaseRowsIn = (w: Bounds) => sql`from orders o where o.customer_id = c.customer_id and ${sql.raw(purchaseFilter)} and ${inBounds(sql.ref('o.ordered_at'), w)}`;
const untilAsOf = (cx: ExprContext): Bounds => ({ from: null, to: cx.asOfEnd });
/** Whole UTC days from an instant's day to the as-of day, by integer arithmetic on the epoch (no time-zone library). */
const daysSince = (instant: RawBuilder<unknown>, cx: ExprContext) =>
  sql`(${Math.floor(Date.parse(`${cx.asOf}T00:00:00Z`) / 86_400_000)} - epoch_us(${instant}) // 86400000000)`;

const traitKind: Record<string, ValueKind> = { text: 'text', integer: 'number', decimal: 'number', boolean: 'boolean', timestamp: 'timestamp', date: 'timestamp' };

/** Customer columns from the entity schema; customer_id is a number in the warehouse. */
const traits: FieldDef[] = fieldSpecs('customers').map((f) => ({
  name: f.name,
  kind: f.identity ? 'number' : traitKind[f.kind],
  group: 'trait',
  description: `customers.${f.name}`,
  values: f.enumValues,
  expr: () => sql.ref(`c.${f.name}`),
}));

const derivedTraits: FieldDef[] = [
  {
    name: 'is_unsubscribed',
    kind: 'boolean',
    group: 'trait',
    description: 'unsubscribed on or before the as-of day',
    expr: (cx) => sql`(c.unsubscribed_at is not null and c.unsubscribed_at < ${ts(cx.asOfEnd)})`,
  },
  {
    name: 'email_domain',
    kind: 'text',
    group: 'trait',
    description: 'the part of the normalised e-mail after @',
    expr: () => sql`nullif(split_part(coalesce(c.email_norm, lower(trim(c.email))), '@', 2), '')`,
  },
  {
    name: 'days_since_acquired',
    kind: 'number',
    group: 'trait',
    description: 'days from acquired_at (or created_at) to the as-of day',
    expr: (cx) => daysSince(sql`coalesce(c.acquired_at, c.created_at)`, cx),
  },
];

const metrics: FieldDef[] = [
  {
    name: 'orders',
    kind: 'number',
    group: 'metric',
    windowed: true,
    description: 'purchases (completed or returned orders, model_purchases) in the window',
    expr: (_cx, w) => sql`(select count(*) ${purchaseRowsIn(w)})`,
  },
  {
    name: 'revenue',
    kind: 'number',
    group: 'metric',
    windowed: true,
    description: 'value of purchases in the window, net of refunds',
    expr: (_cx, w) => sql`(select coalesce(sum(o.net_amount), 0) ${purchasesIn(w)})`,
  },
  {
    name: 'average_order_value',
    kind: 'number',
    group: 'metric',
    windowed: true,
    description: 'mean net value of purchases in the window (null without purchases)',
    expr: (_cx, w) => sql`(select avg(o.net_amount) ${purchasesIn(w)})`,
  },
  {
    name: 'first_order_at',
    kind: 'timestamp',
    group: 'metric',
    description: 'first purchase on or before the as-of day',
    expr: (cx) => sql`(select min(o.ordered_at) ${purchaseRowsIn(untilAsOf(cx))})`,
  },
  {
    name: 'last_order_at',
    kind: 'timestamp',
    group: 'metric',
    description: 'last purchase on or before the as-of day',
    expr: (cx) => sql`(select max(o.ordered_at) ${purchaseRowsIn(untilAsOf(cx))})`,
  },
  {
    name: 'days_since_last_order',
    kind: 'number',
    group: 'metric',
    description: 'days from the last purchase to the as-of day (null without purchases)',
    expr: (cx) => daysSince(sql`(select max(o.ordered_at) ${purchaseRowsIn(untilAsOf(cx))})`, cx),
  },
  {
    name: 'days_since_first_order',
    kind: 'number',
    group: 'metric',
    description: 'days from the first purchase to the as-of day (null without purchases)',
    expr: (cx) => daysSince(sql`(select min(o.ordered_at) ${purchaseRowsIn(untilAsOf(cx))})`, cx),
  },
  {
    name: 'interactions',
    kind: 'number',
    group: 'metric',
    windowed: true,
    description: 'interactions (any channel) in the window',
    expr: (_cx, w) => sql`(select count(*) from interactions i where i.customer_id = c.customer_id and ${inBounds(sql.ref('i.occurred_at'), w)})`,
  },
  {
    name: 'days_since_last_contact',
    kind: 'number',
    group: 'metric',
    description: 'days from the last interaction to the as-of day (null without interactions)',
    expr: (cx) =>
      daysSince(sql`(select max(i.occurred_at) from interactions i where i.customer_id = c.customer_id and i.occurred_at < ${ts(cx.asOfEnd)})`, cx),
  },
  {
    name: 'tickets',
    kind: 'number',
    group: 'metric',
    windowed: true,
    description: 'tickets opened in the window',
    expr: (_cx, w) => sql`(select count(*) from tickets t where t.customer_id = c.customer_id and ${inBounds(sql.ref('t.opened_at'), w)})`,
  },
  {
    name: 'open_tickets',
    kind: 'number',
    group: 'metric',
    description: 'tickets opened on or before the as-of day and not resolved by its end',
    expr: (cx) => sql`(select count(*) from tickets t where t.customer_id = c.customer_id and t.opened_at < ${ts(cx.asOfEnd)}
      and case when t.resolved_at is not null then t.resolved_at >= ${ts(cx.asOfEnd)} else coalesce(t.status, 'open') not in ('resolved', 'closed') end)`,
  },
  {
    name: 'subscription_status',
    kind: 'text',
    group: 'metric',
    values: ['active', 'cancelled', 'none'],
    description: 'active: a subscription running at the end of the as-of day; cancelled: had one, none running; none: never had one',
    expr: (cx) => sql`(select case when count(*) = 0 then 'none'
        when count(*) filter (where s.cancelled_at is null or s.cancelled_at >= ${ts(cx.asOfEnd)}) > 0 then 'active' else 'cancelled' end
      from subscriptions s where s.customer_id = c.customer_id and s.started_at < ${ts(cx.asOfEnd)})`,
  },
  {
    name: 'active_mrr',
    kind: 'number',
    group: 'metric',
    description: 'monthly recurring revenue of the subscriptions running at the end of the as-of day',
    expr: (cx) => sql`(select coalesce(sum(s.mrr), 0) from subscriptions s where s.customer_id = c.customer_id and s.started_at < ${ts(cx.asOfEnd)}
      and (s.cancelled_at is null or s.cancelled_at >= ${ts(cx.asOfEnd)}))`,
  },
];

const rfmField = (name: string, column: string, kind: ValueKind, description: string): FieldDef => ({
  name,
  kind,
  group: 'rfm',
  description,
  expr: () => sql.ref(`rfm.${column}`),
});
const rfm: FieldDef[] = [
  rfmField('rfm_r', 'r_score', 'number', 'recency score 1..5 (5 = most recent)'),
  rfmField('rfm_f', 'f_score', 'number', 'frequency score 1..5'),
  rfmField('rfm_m', 'm_score', 'number', 'monetary score 1..5'),
  rfmField('rfm_fm', 'fm_score', 'number', 'round half up of (f + m) / 2'),
  rfmField('rfm_cell', 'rfm_cell', 'text', "the three scores, e.g. '545'"),
  rfmField('rfm_segment', 'rfm_segment', 'text', 'named RFM segment (slug from the score map, e.g. champions)'),
  rfmField('recency_days', 'recency_days', 'number', 'days from the last purchase to the as-of day (RFM input)'),
];

export const churnTiers = ['champion', 'at_risk', 'lost_high_value', 'active', 'slipping', 'lost', 'new', 'one_time'] as const;
const valueField = (name: string, kind: ValueKind, description: string, values?: readonly string[]): FieldDef => ({
  name,
  kind,
  group: 'value',
  description: `${description} (clv model, customer_value)`,
  values,
  expr: () => sql.ref(`cv.${name}`),
});
const value: FieldDef[] = [
  valueField('clv', 'number', 'discounted expected value over the horizon'),
  valueField('p_alive', 'number', 'probability the customer is still active'),
  valueField('expected_purchases', 'number', 'expected purchase days over the horizon'),
  valueField('expected_mean_spend', 'number', 'expected value per purchase day'),
  valueField('churn_tier', 'text', 'churn-risk tier', churnTiers),
  valueField('value_percentile', 'number', 'rank of total revenue among scored customers, 0..1'),
];

export const fields: readonly FieldDef[] = [...traits, ...derivedTraits, ...metrics, ...rfm, ...value];
export const fieldsByName: ReadonlyMap<string, FieldDef> = new Map(fields.map((f) => [f.name, f]));
export const fieldNames = fields.map((f) => f.name) as [string, ...string[]];

// Events ---------------------------------------------------------------------------------------

export interface EventDef {
  name: string;
  description: string;
  table: 'orders' | 'campaign_touches' | 'interactions' | 'tickets' | 'deals' | 'subscriptions' | 'funnel_dropoffs';
  /** The column that dates the event. */
  time: string;
  /**
   * A fixed condition on `column` that a `where` on the same column replaces: `values` (e.g. status in
   * ('completed', 'returned')) or `sql` on `e` (a constant, never user input).
   */
  base?: { column: string; values: string[] } | { column: string; sql: string };
  /** A fixed SQL condition on `e` that always applies (a constant, never user input). */
  always?: string;
  /** `where` keys → column of the event table, or 'line' for order-line attributes. */
  where: Record<string, string>;
}

const touch = (action: string, column: string): EventDef => ({
  name: `campaign_${action}`,
  description: `a campaign touch was ${action} (campaign_touches.${column})`,
  table: 'campaign_touches',
  time: column,
  where: { campaign_id: 'campaign_id', channel: 'channel' },
});

export const events: readonly EventDef[] = [
  {
    name: 'order',
    description: "an order that is a purchase (status completed or returned; where status: … to count others); category / product_id match any line of it",
    table: 'orders',
    time: 'ordered_at',
    base: { column: 'status', values: ['completed', 'returned'] },
    always: 'e.total_amount >= 0', // negative totals are refund records, not orders placed
    where: { status: 'status', channel: 'channel', campaign_id: 'campaign_id', currency: 'currency', employee_id: 'employee_id', category: 'line', product_id: 'line' },
  },
  touch('sent', 'sent_at'),
  touch('opened', 'opened_at'),
  touch('clicked', 'clicked_at'),
  touch('converted', 'converted_at'),
  {
    name: 'interaction',
    description: 'an interaction (phone call, e-mail, meeting, …)',
    table: 'interactions',
    time: 'occurred_at',
    where: { channel: 'channel', direction: 'direction', outcome: 'outcome', employee_id: 'employee_id', campaign_id: 'campaign_id', deal_id: 'deal_id' },
  },
  {
    name: 'ticket_opened',
    description: 'a support ticket opened',
    table: 'tickets',
    time: 'opened_at',
    where: { category: 'category', priority: 'priority', channel: 'channel', status: 'status', employee_id: 'employee_id' },
  },
  {
    name: 'ticket_resolved',
    description: 'a support ticket resolved',
    table: 'tickets',
    time: 'resolved_at',
    where: { category: 'category', priority: 'priority', channel: 'channel', employee_id: 'employee_id' },
  },
  {
    name: 'deal_created',
    description: 'a deal created',
    table: 'deals',
    time: 'created_at',
    where: { pipeline: 'pipeline', stage: 'stage', status: 'status', source: 'source', campaign_id: 'campaign_id', product_id: 'product_id', owner_id: 'owner_id' },
  },
  {
    name: 'deal_won',
    description: 'a deal won (dated by closed_at)',
    table: 'deals',
    time: 'closed_at',
    base: { column: 'status', values: ['won'] },
    where: { pipeline: 'pipeline', source: 'source', campaign_id: 'campaign_id', product_id: 'product_id', owner_id: 'owner_id' },
  },
  {
    name: 'deal_lost',
    description: 'a deal lost (dated by closed_at)',
    table: 'deals',
    time: 'closed_at',
    base: { column: 'status', values: ['lost'] },
    where: { pipeline: 'pipeline', source: 'source', campaign_id: 'campaign_id', product_id: 'product_id', owner_id: 'owner_id', lost_reason: 'lost_reason' },
  },
  {
    name: 'funnel_dropoff',
    description: "dropped off a funnel at a step (crm funnel … --save): stage funnels by deal, marketing funnels by touch; the latest run of each funnel unless where run_id: N",
    table: 'funnel_dropoffs',
    time: 'dropped_at',
    base: { column: 'run_id', sql: 'e.run_id = (select max(d.run_id) from funnel_dropoffs d where d.funnel = e.funnel)' },
    where: { funnel: 'funnel', step: 'step', run_id: 'run_id', campaign_id: 'campaign_id', reason: 'reason' },
  },
  {
    name: 'subscription_started',
    description: 'a subscription started',
    table: 'subscriptions',
    time: 'started_at',
    where: { plan: 'plan' },
  },
  {
    name: 'subscription_cancelled',
    description: 'a subscription cancelled',
    table: 'subscriptions',
    time: 'cancelled_at',
    where: { plan: 'plan' },
  },
];
export const eventsByName: ReadonlyMap<string, EventDef> = new Map(events.map((e) => [e.name, e]));
export const eventNames = events.map((e) => e.name) as [string, ...string[]];
export const countOperators = ['eq', 'neq', 'lt', 'lte', 'gt', 'gte'] as const;
