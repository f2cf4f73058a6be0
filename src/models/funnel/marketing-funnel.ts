import { sql, type AliasedRawBuilder, type RawBuilder } from 'kysely';
import { z } from 'zod';
import { fromZodError, ValidationError } from '../../errors.ts';
import type { Warehouse } from '../../warehouse/index.ts';
import { campaignDimensions, customerDimensions } from '../reports/dimensions.ts';
import { applyFilters, bucketExpr, joinDimensions, type AnyQuery, type Dimension } from '../reports/grid.ts';
import { filtersParam, isoDate, listParam, refineDimensions, refineRange, resolveRange, type DateRange } from '../reports/params.ts';
import type { ReportColumn, ReportRow } from '../reports/types.ts';

/**
 * The marketing funnel: campaign touch → opened → clicked → (converted) → deal → won (or order),
 * one entry per touch (one customer contacted by one campaign). Each step after the first has a
 * conversion window. Ordered: a step counts when it happens after the previous step and within its
 * window of it. Any order: a step counts when it happens within its window of the touch, whatever the
 * order of the steps; a touch reaches step k when steps 1..k all happened.
 */
export const marketingSteps = ['sent', 'opened', 'clicked', 'converted', 'deal', 'won', 'order'] as const;
export type MarketingStep = (typeof marketingSteps)[number];

export const marketingDimensions: Record<string, Dimension> = {
  ...campaignDimensions,
  touch_channel: { label: 'Touch channel', expr: sql`coalesce(f.channel, '(none)')` },
  region: customerDimensions.region,
  country: customerDimensions.country,
  industry: customerDimensions.industry,
  segment: customerDimensions.segment,
  acquisition_channel: customerDimensions.acquisition_channel,
  lifecycle_stage: customerDimensions.lifecycle_stage,
};
export const marketingBreakdowns = Object.keys(marketingDimensions);

/** '7d', '12h', '30m', '90' (days) → seconds. */
export function parseWindow(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)\s*(d|h|m)?$/.exec(text.trim());
  if (!m) return null;
  const n = Number(m[1]);
  return Math.round(n * ({ d: 86400, h: 3600, m: 60 }[(m[2] ?? 'd') as 'd' | 'h' | 'm']));
}

const defaultWindows: Record<MarketingStep, string> = { sent: '0d', opened: '7d', clicked: '7d', converted: '30d', deal: '30d', won: '180d', order: '30d' };

export const marketingFunnelParamsSchema = z
  .object({
    /** Touches sent from this day (default: the first day of the month 11 months ago) … */
    from: isoDate.optional(),
    /** … to this day, inclusive (default: today, UTC). */
    to: isoDate.optional(),
    /** Steps in order; the first must be 'sent'. Default sent,opened,clicked,deal,won. */
    steps: listParam.pipe(z.array(z.enum(marketingSteps))).default(['sent', 'opened', 'clicked', 'deal', 'won']),
    /** Conversion window of each step after the first ('7d', '12h', or days): one per step, or one for all. */
    windows: listParam.optional(),
    order: z.enum(['ordered', 'any']).default('ordered'),
    /** campaign: deals/orders count only when they carry the touch's campaign id; customer: any deal/order of the customer. */
    attribution: z.enum(['campaign', 'customer']).default('customer'),
    /** Only these campaigns (ids). */
    campaign: listParam.optional(),
    cohort: z.enum(['none', 'month', 'quarter']).default('none'),
    breakdown: z.string().optional(),
    filters: filtersParam.optional(),
  })
  .strict()
  .superRefine((p, ctx) => {
    if (p.steps[0] !== 'sent') ctx.addIssue({ code: 'custom', path: ['steps'], message: "the first step must be 'sent' (the touch)" });
    if (p.steps.length < 2) ctx.addIssue({ code: 'custom', path: ['steps'], message: 'give at least two steps' });
    if (new Set(p.steps).size !== p.steps.length) ctx.addIssue({ code: 'custom', path: ['steps'], message: 'a step is repeated' });
    if (p.windows) {
      if (p.windows.length !== 1 && p.windows.length !== p.steps.length - 1)
        ctx.addIssue({ code: 'custom', path: ['windows'], message: `give one window per step after the first (${p.steps.length - 1}) or one for all (got ${p.windows.length})` });
      p.windows.forEach((w, i) => {
        const s = parseWindow(w);
        if (s === null || s <= 0) ctx.addIssue({ code: 'custom', path: ['windows', i], message: `'${w}' is not a window; use e.g. 7d, 12h or 30m` });
      });
    }
    refineDimensions(p, marketingBreakdowns, ctx);
    refineRange(p, ctx);
  });
export type MarketingFunnelParams = z.output<typeof marketingFunnelParamsSchema>;

interface Plan {
  p: MarketingFunnelParams;
  range: DateRange;
  steps: { step: MarketingStep; windowSeconds: number; window: string }[];
}

function plan(input: unknown): Plan {
  const parsed = marketingFunnelParamsSchema.safeParse(input ?? {});
  if (!parsed.success) throw fromZodError(parsed.error, 'marketing funnel');
  const p = parsed.data;
  const steps = p.steps.map((step, i) => {
    const w = i === 0 ? '0d' : p.windows ? (p.windows.length === 1 ? p.windows[0] : p.windows[i - 1]) : defaultWindows[step];
    return { step, window: w, windowSeconds: parseWindow(w)! };
  });
  return { p, range: resolveRange(p), steps };
}

/**
 * One row per touch with the time of each step it reached (t1 … tn; null from the first step it missed),
 * and the deal it reached (deal_id) where a deal step is in the funnel.
 *
 * Built as a chain of CTEs, one per step. The deal, won and order steps look up other tables: each is a
 * join of the touches whose customer (or deal) has a candidate row, aggregated per touch (touch_row, the
 * row id) and joined back — written as correlated subqueries, DuckDB decorrelated them by de-duplicating
 * all millions of touches' (customer, time) pairs first. The steps before a lookup are materialised
 * because the lookup reads them twice (only those: an inline CTE lets DuckDB skip unused columns).
 */
function flow(pl: Plan, withTouchId: boolean): RawBuilder<unknown> {
  const { p, range, steps } = pl;
  // touch_id (a text key) only for drop-offs, channel only for the touch_channel dimension: a materialised
  // step keeps every column it has, so the report's query leaves these out when it does not need them.
  const usesChannel = p.breakdown === 'touch_channel' || 'touch_channel' in (p.filters ?? {});
  const optional = sql.raw(`${withTouchId ? 't.touch_id' : 'cast(null as varchar) as touch_id'}, ${usesChannel ? 't.channel' : 'cast(null as varchar) as channel'}`);
  const campaignMatch = (alias: string) => (p.attribution === 'campaign' ? sql.raw(` and ${alias}.campaign_id = s.campaign_id`) : sql.raw(''));
  // A step's CTE is materialised when the next step is a lookup (which reads it twice); others stay inline,
  // so unused columns are not read.
  const isLookup = (k: number) => k <= steps.length && ['deal', 'won', 'order'].includes(steps[k - 1].step);
  const as = (k: number) => sql.raw(isLookup(k + 1) ? `s${k} as materialized` : `s${k} as`);
  const ctes: RawBuilder<unknown>[] = [
    sql`${as(1)} (select t.rowid as touch_row, ${optional}, t.campaign_id, t.customer_id, t.sent_at as t1,
      t.opened_at, t.clicked_at, t.converted_at, cast(null as varchar) as deal_id
    from campaign_touches as t
    where t.sent_at >= cast(${range.from} as timestamptz) and t.sent_at < cast(${range.toExclusive} as timestamptz)
    ${p.campaign?.length ? sql`and t.campaign_id in (${sql.join(p.campaign)})` : sql``})`,
  ];
  for (let k = 2; k <= steps.length; k++) {
    const { step, windowSeconds } = steps[k - 1];
    const prevCte = sql.raw(`s${k - 1}`);
    const prev = sql.raw(p.order === 'ordered' ? `s.t${k - 1}` : 's.t1');
    const lo = prev;
    // Window ends compared in epoch microseconds: TIMESTAMPTZ + INTERVAL goes through ICU (slow on
    // millions of touches) and is the same instant plus the window, every connection being UTC.
    const withinHi = (col: RawBuilder<unknown>) => sql`epoch_us(${col}) <= epoch_us(${prev}) + ${sql.lit(windowSeconds * 1_000_000)}`;
    // In ordered mode a step needs the previous one; in any order every step is looked up from the touch.
    const gate = p.order === 'ordered' ? sql.raw(`s.t${k - 1} is not null and `) : sql.raw('');
    const tk = sql.raw(`t${k}`);
    // A lookup: for each touch passing the gate, the first matching row of `table` (its time `col`, and the deal id for deal steps).
    const lookup = (table: RawBuilder<unknown>, on: RawBuilder<unknown>, col: RawBuilder<unknown>, where: RawBuilder<unknown>, dealId: boolean) => {
      const found = sql`(select s.touch_row, min(${col}) as v${dealId ? sql`, arg_min(x.deal_id, ${col}) as deal_id` : sql``}
        from ${prevCte} as s join ${table} as x on ${on}
        where ${gate}${where}
        group by s.touch_row)`;
      return sql`${as(k)} (select s.*${dealId ? sql` replace (l.deal_id as deal_id)` : sql``}, l.v as ${tk}
        from ${prevCte} as s left join ${found} as l on l.touch_row = s.touch_row)`;
    };
    switch (step) {
      case 'sent':
        ctes.push(sql`${as(k)} (select s.*, s.t1 as ${tk} from ${prevCte} as s)`);
        break;
      case 'opened':
      case 'clicked':
      case 'converted': {
        const col = sql.raw(`s.${step}_at`);
        ctes.push(sql`${as(k)} (select s.*, case when ${gate}${col} >= ${lo} and ${withinHi(col)} then ${col} end as ${tk} from ${prevCte} as s)`);
        break;
      }
      case 'deal':
        ctes.push(lookup(sql`deals`, sql`x.customer_id = s.customer_id${campaignMatch('x')}`, sql`x.created_at`, sql`x.created_at >= ${lo} and ${withinHi(sql`x.created_at`)}`, true));
        break;
      case 'won':
        // After a deal step: that deal, won within the window. Otherwise any won deal of the customer created after the touch.
        if (p.order === 'ordered' && steps.slice(0, k - 1).some((s) => s.step === 'deal'))
          ctes.push(lookup(sql`deals`, sql`x.deal_id = s.deal_id`, sql`x.closed_at`, sql`x.status = 'won' and x.closed_at >= ${lo} and ${withinHi(sql`x.closed_at`)}`, false));
        else
          ctes.push(
            lookup(
              sql`deals`,
              sql`x.customer_id = s.customer_id${campaignMatch('x')}`,
              sql`x.closed_at`,
              sql`x.status = 'won' and x.created_at >= s.t1 and x.closed_at >= ${lo} and ${withinHi(sql`x.closed_at`)}`,
              false,
            ),
          );
        break;
      case 'order':
        ctes.push(
          lookup(
            sql`(select customer_id, campaign_id, ordered_at from orders where status = 'completed')`,
            sql`x.customer_id = s.customer_id${campaignMatch('x')}`,
            sql`x.ordered_at`,
            sql`x.ordered_at >= ${lo} and ${withinHi(sql`x.ordered_at`)}`,
            false,
          ),
        );
        break;
    }
  }
  return sql`(with ${sql.join(ctes, sql`, `)} select * from ${sql.raw(`s${steps.length}`)})`;
}

/** `t1 is not null and … and tk is not null`: the touch reached step k. */
function reachedExpr(k: number): RawBuilder<boolean> {
  return sql.raw<boolean>(Array.from({ length: k }, (_, i) => `f.t${i + 1} is not null`).join(' and '));
}

async function scoped(wh: Warehouse, pl: Plan, withTouchId = false): Promise<{ q: AnyQuery; notes: string[] }> {
  const { p } = pl;
  const dims = [...(p.breakdown ? [marketingDimensions[p.breakdown]] : []), ...Object.keys(p.filters ?? {}).map((k) => marketingDimensions[k])];
  const joined = await joinDimensions(wh, wh.db.selectFrom(flow(pl, withTouchId).as('f')), dims);
  return { q: applyFilters(joined.query, marketingDimensions, p.filters ?? {}), notes: joined.notes };
}

export interface MarketingFunnelResult {
  rows: ReportRow[];
  columns: ReportColumn[];
  steps: Plan['steps'];
  range: DateRange;
  notes: string[];
}

/**
 * Runs the marketing funnel. Rows: one per cohort × breakdown × step, with touches reaching the step,
 * conversion from the previous and the first step, drop-off, and the median hours from the previous
 * step (ordered) or from the touch (any order).
 *
 * @example
 * await marketingFunnel(wh, { steps: 'sent,opened,clicked,deal,won', windows: '3d,7d,30d,90d', order: 'ordered' });
 */
export async function marketingFunnel(wh: Warehouse, input: unknown): Promise<MarketingFunnelResult> {
  const pl = plan(input);
  const { p, steps } = pl;
  const { q, notes: joinNotes } = await scoped(wh, pl);
  const cohort = p.cohort === 'none' ? sql`cast(null as date)` : bucketExpr(p.cohort, sql`f.t1`);
  const breakdown = p.breakdown ? marketingDimensions[p.breakdown].expr : sql`cast(null as varchar)`;
  const selections: AliasedRawBuilder<unknown, string>[] = [cohort.as('cohort'), breakdown.as('breakdown')];
  for (let k = 1; k <= steps.length; k++) {
    selections.push(sql`count(*) filter (where ${reachedExpr(k)})`.as(`reached_${k}`));
    if (k > 1) {
      const from = p.order === 'ordered' ? `f.t${k - 1}` : 'f.t1';
      selections.push(sql`round(quantile_cont((epoch_us(${sql.raw(`f.t${k}`)}) - epoch_us(${sql.raw(from)})) / 1e6 / 3600.0, 0.5) filter (where ${reachedExpr(k)}), 2)`.as(`hours_${k}`));
    }
  }
  const wide = (await q.select(selections).groupBy([cohort, breakdown]).orderBy(cohort).orderBy(breakdown).execute()) as ReportRow[];
  const rows: ReportRow[] = [];
  for (const w of wide) {
    const first = Number(w.reached_1);
    steps.forEach((s, i) => {
      const k = i + 1;
      const reached = Number(w[`reached_${k}`]);
      const prev = k > 1 ? Number(w[`reached_${k - 1}`]) : null;
      const row: ReportRow = {};
      if (p.cohort !== 'none') row.cohort = w.cohort;
      if (p.breakdown) row.breakdown = w.breakdown;
      Object.assign(row, {
        step_index: k,
        step: s.step,
        window: k === 1 ? null : s.window,
        reached,
        dropped: prev === null ? null : prev - reached,
        conversion_from_previous: prev === null ? null : prev > 0 ? round4(reached / prev) : null,
        conversion_from_first: first > 0 ? round4(reached / first) : null,
        median_hours: k === 1 ? null : (w[`hours_${k}`] ?? null),
      });
      rows.push(row);
    });
  }
  const notes = [
    ...joinNotes,
    `Touches sent ${pl.range.from} … ${pl.range.to} (UTC); one entry per touch (a customer contacted by a campaign).`,
    p.order === 'ordered'
      ? 'Ordered: each step counts when it happens after the previous step and within its window of it; median_hours is the time from the previous step.'
      : 'Any order: each step counts when it happens within its window of the touch, in any order; a touch reaches step k when steps 1..k all happened; median_hours is the time from the touch.',
    p.attribution === 'campaign'
      ? 'Deals and orders count only when they carry the touch’s campaign id.'
      : 'Deals and orders count for any deal/order of the touched customer (use attribution=campaign to require the campaign id).',
    `Windows: ${steps.slice(1).map((s) => `${s.step} ${s.window}`).join(', ')}.`,
  ];
  const columns: ReportColumn[] = [
    ...(p.cohort !== 'none' ? [{ name: 'cohort', label: `Sent (${p.cohort})`, type: 'date' as const, role: 'time' as const }] : []),
    ...(p.breakdown ? [{ name: 'breakdown', label: marketingDimensions[p.breakdown].label, type: 'string' as const, role: 'dimension' as const }] : []),
    { name: 'step_index', label: 'Step', type: 'number', role: 'dimension' },
    { name: 'step', label: 'Step name', type: 'string', role: 'dimension' },
    { name: 'window', label: 'Window', type: 'string', role: 'info' },
    { name: 'reached', label: 'Touches reaching the step', type: 'number', role: 'measure', format: 'count' },
    { name: 'dropped', label: 'Dropped before the step', type: 'number', role: 'measure', format: 'count' },
    { name: 'conversion_from_previous', label: 'Conversion from previous', type: 'number', role: 'measure', format: 'percent' },
    { name: 'conversion_from_first', label: 'Conversion from touch', type: 'number', role: 'measure', format: 'percent' },
    { name: 'median_hours', label: 'Median hours', type: 'number', role: 'measure', format: 'hours' },
  ];
  return { rows, columns, steps, range: pl.range, notes };
}

/**
 * The touches that reached step `step` but not the next one (or, with no step, every drop-off), as a
 * query with the columns of funnel_dropoffs except run_id and funnel. Set-based: insert … select.
 */
export async function marketingDropoffQuery(wh: Warehouse, input: unknown, step?: string): Promise<AnyQuery> {
  const pl = plan(input);
  const { steps } = pl;
  const { q } = await scoped(wh, pl, true);
  const names = steps.map((s) => s.step);
  if (step !== undefined && !names.slice(0, -1).includes(step as MarketingStep))
    throw new ValidationError(`step '${step}' is not a step with a next step; steps: ${names.slice(0, -1).join(', ')}`, { field: 'step' });
  // The last step reached: the number of leading non-null step times.
  const lastReached = sql.raw(steps.map((_, i) => `case when ${Array.from({ length: i + 1 }, (_, j) => `f.t${j + 1} is not null`).join(' and ')} then 1 else 0 end`).join(' + '));
  const stepName = sql`[${sql.join(names.map((n) => sql`${n}`))}][${lastReached}]`;
  const nextName = sql`[${sql.join([...names.slice(1), ''].map((n) => sql`${n}`))}][${lastReached}]`;
  const stepTime = sql.raw(`[${steps.map((_, i) => `f.t${i + 1}`).join(', ')}]`);
  let dq = q.where(sql<boolean>`${lastReached} < ${steps.length}`);
  if (step !== undefined) dq = dq.where(sql<boolean>`${stepName} = ${step}`);
  return dq.select([
    stepName.as('step'),
    lastReached.as('step_index'),
    sql`f.customer_id`.as('customer_id'),
    sql`f.deal_id`.as('deal_id'),
    sql`f.touch_id`.as('touch_id'),
    sql`f.campaign_id`.as('campaign_id'),
    sql`'no ' || ${nextName} || ' within window'`.as('reason'),
    sql`${stepTime}[${lastReached}]`.as('dropped_at'),
  ]);
}

function round4(x: number): number {
  return Math.round(x * 10000) / 10000;
}
