import { z } from 'zod';

/** A calendar date, 'YYYY-MM-DD'. */
export const isoDate = z.iso.date({ message: "expected a date as 'YYYY-MM-DD'" });

export const buckets = ['day', 'week', 'month', 'quarter', 'year'] as const;
export type Bucket = (typeof buckets)[number];
export const bucketSchema = z.enum([...buckets, 'none']);

/** 'region,rep' or ['region', 'rep'] → ['region', 'rep']. */
export const listParam = z
  .union([z.string(), z.array(z.string())])
  .transform((v) => (Array.isArray(v) ? v : v.split(',')).map((s) => s.trim()).filter(Boolean));

const scalar = z.union([z.string(), z.number(), z.boolean()]);
/** { region: 'EMEA' } or { region: ['EMEA', 'APAC'] } → { region: ['EMEA', 'APAC'] }. */
export const filtersParam = z
  .record(z.string(), z.union([scalar, z.array(scalar)]))
  .transform((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, (Array.isArray(v) ? v : [v]).map(String)])));

/** Accepts true/false and the strings 'true'/'false' (query strings and CLI flags). */
export const boolParam = z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]);

/** Accepts numbers and numeric strings. */
export const numberParam = z.union([z.number(), z.string().regex(/^-?\d+(\.\d+)?$/, 'expected a number').transform(Number)]);
export const intParam = (min: number, max: number) =>
  z.union([z.int(), z.string().regex(/^-?\d+$/, 'expected an integer').transform(Number)]).pipe(z.int().min(min).max(max));

/** Adds an issue when `from` is after `to`. */
export function refineRange(p: { from?: string; to?: string }, ctx: z.RefinementCtx): void {
  if (p.from && p.to && p.from > p.to) ctx.addIssue({ code: 'custom', path: ['from'], message: `from ${p.from} is after to ${p.to}` });
}

/** Adds issues for a breakdown or filter keys that are not in `valid`, naming the valid ones. */
export function refineDimensions(p: { breakdown?: string; filters?: Record<string, string[]> }, valid: string[], ctx: z.RefinementCtx): void {
  if (p.breakdown !== undefined && !valid.includes(p.breakdown))
    ctx.addIssue({ code: 'custom', path: ['breakdown'], message: `unknown breakdown '${p.breakdown}'; valid: ${valid.join(', ')}` });
  for (const k of Object.keys(p.filters ?? {}))
    if (!valid.includes(k)) ctx.addIssue({ code: 'custom', path: ['filters', k], message: `unknown filter '${k}'; valid: ${valid.join(', ')}` });
}

/** Today's date in UTC. */
export function todayUtc(now = new Date()): string {
  return now.toISOString().slice(0, 10);
}

export function addDays(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

export function addMonths(date: string, months: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  const day = d.getUTCDate();
  d.setUTCDate(1);
  d.setUTCMonth(d.getUTCMonth() + months);
  const last = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
  d.setUTCDate(Math.min(day, last));
  return d.toISOString().slice(0, 10);
}

export function monthStart(date: string): string {
  return `${date.slice(0, 7)}-01`;
}

export interface DateRange {
  /** First day, inclusive. */
  from: string;
  /** Last day, inclusive. */
  to: string;
  /** The day after `to`: queries filter `at >= from and at < toExclusive`. */
  toExclusive: string;
}

/**
 * Resolves an optional from/to pair: `to` defaults to today (UTC), `from` to the first day of the
 * month `months - 1` months before `to`'s month, so the default is the last `months` calendar months.
 */
export function resolveRange(p: { from?: string; to?: string }, months = 12, today = todayUtc()): DateRange {
  const to = p.to ?? today;
  const from = p.from ?? addMonths(monthStart(to), -(months - 1));
  return { from, to, toExclusive: addDays(to, 1) };
}
