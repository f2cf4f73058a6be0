import { AppError } from '../../errors.ts';
import type { Warehouse } from '../../warehouse/index.ts';
import { normalQuantile } from '../forecast/stats.ts';

export { normalQuantile };

/**
 * Campaign lift against the holdout recorded by exports (`crm export … --campaign ID --holdout S`).
 * Intention to treat: the targeted group is everyone exported as a target for the campaign, whether
 * or not a touch was recorded, and the holdout everyone held out — so the two groups are comparable
 * by construction (the same hash split of the same contactable population). The outcome is measured
 * the same way for both: purchases in the attribution window (view model_purchases, the clv model's
 * definition: completed or returned orders, net of refunds).
 *
 * Window: [campaign start, campaign end] from `campaigns` (or the first export day when there is no
 * start), or `windowDays` days from the start; 30 days when neither end nor windowDays is known.
 * Differences use normal approximations: unpooled standard error for the conversion-rate difference
 * (Wald interval) and a pooled two-proportion z-test for its p-value; Welch's standard error for the
 * revenue-per-person difference.
 */

export interface GroupOutcome {
  customers: number;
  converters: number;
  conversionRate: number | null;
  revenue: number;
  revenuePerPerson: number | null;
  revenueSd: number | null;
  /** Customers with a campaign touch recorded (sent). */
  touched: number;
  /** Customers whose touch records a conversion (campaign_touches.converted_at) in the window. */
  touchConverters: number;
}

export interface Difference {
  estimate: number;
  standardError: number;
  ci: [number, number];
  pValue: number;
}

export interface CampaignLift {
  campaignId: string;
  window: { from: string; to: string; open: boolean; source: string };
  exports: number[];
  confidence: number;
  target: GroupOutcome;
  holdout: GroupOutcome;
  /** Customers who were target in one export and holdout in another (left out of both groups). */
  contaminated: number;
  conversion: (Difference & { relativeLift: number | null }) | null;
  revenuePerPerson: Difference | null;
  incremental: { conversions: number; revenue: number } | null;
  warnings: string[];
}

/** Standard normal CDF: Hart's double-precision algorithm (as in West 2005), absolute error about 1e-14. */
export function normalCdf(z: number): number {
  const x = Math.abs(z);
  let c = 0;
  if (x <= 37) {
    const e = Math.exp((-x * x) / 2);
    if (x < 7.07106781186547) {
      const num = ((((((0.0352624965998911 * x + 0.700383064443688) * x + 6.37396220353165) * x + 33.912866078383) * x + 112.079291497871) * x + 221.213596169931) * x + 220.206867912376);
      const den = (((((((0.0883883476483184 * x + 1.75566716318264) * x + 16.064177579207) * x + 86.7807322029461) * x + 296.564248779674) * x + 637.333633378831) * x + 793.826512519948) * x + 440.413735824752);
      c = (e * num) / den;
    } else {
      const b = x + 1 / (x + 2 / (x + 3 / (x + 4 / (x + 0.65))));
      c = e / b / 2.506628274631;
    }
  }
  return z > 0 ? 1 - c : c;
}

const twoSided = (z: number) => 2 * (1 - normalCdf(Math.abs(z)));

/** Difference of two proportions (a − b) with a Wald interval and a pooled z-test. */
export function proportionDifference(xa: number, na: number, xb: number, nb: number, confidence: number): Difference & { relativeLift: number | null } {
  const pa = xa / na;
  const pb = xb / nb;
  const se = Math.sqrt((pa * (1 - pa)) / na + (pb * (1 - pb)) / nb);
  const z = normalQuantile(1 - (1 - confidence) / 2);
  const pooled = (xa + xb) / (na + nb);
  const sePooled = Math.sqrt(pooled * (1 - pooled) * (1 / na + 1 / nb));
  const diff = pa - pb;
  return {
    estimate: diff,
    standardError: se,
    ci: [diff - z * se, diff + z * se],
    pValue: sePooled > 0 ? twoSided(diff / sePooled) : diff === 0 ? 1 : 0,
    relativeLift: pb > 0 ? diff / pb : null,
  };
}

/** Difference of two means (a − b) from sums, with Welch's standard error and a normal interval. */
export function meanDifference(a: { n: number; sum: number; sumSq: number }, b: { n: number; sum: number; sumSq: number }, confidence: number): Difference {
  const variance = (g: { n: number; sum: number; sumSq: number }) => (g.n > 1 ? Math.max(0, (g.sumSq - (g.sum * g.sum) / g.n) / (g.n - 1)) : 0);
  const diff = a.sum / a.n - b.sum / b.n;
  const se = Math.sqrt(variance(a) / a.n + variance(b) / b.n);
  const z = normalQuantile(1 - (1 - confidence) / 2);
  return { estimate: diff, standardError: se, ci: [diff - z * se, diff + z * se], pValue: se > 0 ? twoSided(diff / se) : diff === 0 ? 1 : 0 };
}

interface GroupRow {
  grp: 'target' | 'holdout' | 'both';
  customers: number;
  converters: number;
  revenue: number;
  revenue_sq: number;
  touched: number;
  touch_converters: number;
}

/**
 * Lift of a campaign: targeted group vs its holdout.
 *
 * @example
 * const l = await campaignLift(wh, 'C-2026-11');
 * l.conversion?.estimate   // e.g. 0.021 (2.1 percentage points)
 * l.conversion?.ci         // [0.012, 0.030] at 95 %
 */
export async function campaignLift(wh: Warehouse, campaignId: string, options: { windowDays?: number; confidence?: number } = {}): Promise<CampaignLift> {
  const confidence = options.confidence ?? 0.95;
  if (!(confidence > 0 && confidence < 1)) throw new AppError('VALIDATION', `confidence ${confidence} must be between 0 and 1, e.g. 0.95`);
  if (options.windowDays !== undefined && !(Number.isInteger(options.windowDays) && options.windowDays > 0))
    throw new AppError('VALIDATION', `window of ${options.windowDays} days: give a positive whole number`);
  const exports = await wh.all<{ export_id: number; created_at: string; holdout_share: number }>(
    'select export_id, created_at, holdout_share from export_log where campaign_id = $c order by export_id',
    { c: campaignId },
  );
  if (!exports.length)
    throw new AppError('NOT_FOUND', `no export is recorded for campaign "${campaignId}"; lift needs one made with --campaign ${campaignId} --holdout SHARE`);
  if (exports.every((e) => e.holdout_share === 0))
    throw new AppError('VALIDATION', `the exports for campaign "${campaignId}" (${exports.map((e) => e.export_id).join(', ')}) kept no holdout; export with --holdout SHARE to measure lift`);

  const [campaign] = await wh.all<{ started_at: string | null; ended_at: string | null }>('select started_at, ended_at from campaigns where campaign_id = $c', { c: campaignId });
  const day = (s: string) => s.slice(0, 10);
  const addDays = (d: string, n: number) => new Date(Date.parse(`${d}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
  const start = campaign?.started_at ?? day(exports[0].created_at);
  let end: string;
  let source: string;
  if (options.windowDays !== undefined) {
    end = addDays(start, options.windowDays);
    source = `${options.windowDays} days from ${campaign?.started_at ? 'the campaign start' : 'the first export'}`;
  } else if (campaign?.ended_at) {
    end = addDays(campaign.ended_at, 1);
    source = 'the campaign dates';
  } else {
    end = addDays(start, 30);
    source = `30 days from ${campaign?.started_at ? 'the campaign start' : 'the first export'} (no end date recorded; set --window-days)`;
  }
  const from = `${start}T00:00:00.000Z`;
  const to = `${end}T00:00:00.000Z`;

  const rows = await wh.all<GroupRow>(
    `with members as (
       select m.customer_id, bool_or(m.status = 'target') as t, bool_or(m.status = 'holdout') as h
       from export_members m join export_log l on l.export_id = m.export_id
       where l.campaign_id = $c and m.status in ('target', 'holdout')
       group by m.customer_id
     ),
     groups as (select customer_id, case when t and h then 'both' when t then 'target' else 'holdout' end as grp from members),
     purchases as (
       select g.customer_id, count(o.order_id) > 0 as converted, coalesce(sum(cast(o.net_amount as double)), 0) as revenue
       from groups g left join model_purchases o
         on o.customer_id = g.customer_id and o.ordered_at >= cast($from as timestamptz) and o.ordered_at < cast($to as timestamptz)
       group by g.customer_id
     ),
     touches as (
       select customer_id, true as touched,
              bool_or(converted_at >= cast($from as timestamptz) and converted_at < cast($to as timestamptz)) as touch_converted
       from campaign_touches where campaign_id = $c group by customer_id
     )
     select g.grp, count(*) as customers, count(*) filter (where p.converted) as converters,
            sum(p.revenue) as revenue, sum(p.revenue * p.revenue) as revenue_sq,
            count(*) filter (where t.touched) as touched, count(*) filter (where t.touch_converted) as touch_converters
     from groups g join purchases p on p.customer_id = g.customer_id left join touches t on t.customer_id = g.customer_id
     group by g.grp`,
    { c: campaignId, from, to },
  );
  const get = (g: GroupRow['grp']): GroupRow => rows.find((r) => r.grp === g) ?? { grp: g, customers: 0, converters: 0, revenue: 0, revenue_sq: 0, touched: 0, touch_converters: 0 };
  const outcome = (r: GroupRow): GroupOutcome => ({
    customers: r.customers,
    converters: r.converters,
    conversionRate: r.customers ? r.converters / r.customers : null,
    revenue: r.revenue,
    revenuePerPerson: r.customers ? r.revenue / r.customers : null,
    revenueSd: r.customers > 1 ? Math.sqrt(Math.max(0, (r.revenue_sq - (r.revenue * r.revenue) / r.customers) / (r.customers - 1))) : null,
    touched: r.touched,
    touchConverters: r.touch_converters,
  });
  const t = get('target');
  const h = get('holdout');
  const warnings: string[] = [];
  const open = Date.parse(to) > Date.now();
  if (open) warnings.push(`the window runs until ${end}: results are provisional`);
  if (t.customers && h.customers && (Math.min(t.customers, h.customers) < 30 || Math.min(t.converters, h.converters) < 5))
    warnings.push('groups are small (fewer than 30 customers or 5 converters in a group): the normal approximation behind the intervals is rough');
  if (h.touched > 0) warnings.push(`${h.touched} holdout customers have a touch recorded for this campaign: the holdout was contacted, so lift is understated`);
  if (t.touched === 0) warnings.push('no campaign touches recorded for the targeted group yet (load campaign_touches); lift is measured on everyone exported');
  const both = get('both').customers;
  if (both) warnings.push(`${both} customers were target in one export and holdout in another; they are left out`);
  const ok = t.customers > 0 && h.customers > 0;
  if (!ok) warnings.push('one of the groups is empty: no difference can be estimated');
  const conversion = ok ? proportionDifference(t.converters, t.customers, h.converters, h.customers, confidence) : null;
  const revenuePerPerson = ok
    ? meanDifference({ n: t.customers, sum: t.revenue, sumSq: t.revenue_sq }, { n: h.customers, sum: h.revenue, sumSq: h.revenue_sq }, confidence)
    : null;
  return {
    campaignId,
    window: { from, to, open, source },
    exports: exports.map((e) => e.export_id),
    confidence,
    target: outcome(t),
    holdout: outcome(h),
    contaminated: both,
    conversion,
    revenuePerPerson,
    incremental: conversion && revenuePerPerson ? { conversions: conversion.estimate * t.customers, revenue: revenuePerPerson.estimate * t.customers } : null,
    warnings,
  };
}
