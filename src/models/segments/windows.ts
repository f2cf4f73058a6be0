import { z } from 'zod';

/**
 * Time windows of segment rules, as of a day. "As of D" means everything up to the end of D (UTC):
 * events with a time before D + 1 day 00:00Z. All bounds are ISO instants; `to` is exclusive.
 */
export const windowUnits = ['days', 'weeks', 'months', 'years'] as const;
export type WindowUnit = (typeof windowUnits)[number];

const isoDate = z.iso.date();

export const windowSchema = z.union([
  z
    .object({
      /** The last N units up to and including the as-of day. */
      last: z.int().positive(),
      unit: z.enum(windowUnits).default('days'),
    })
    .strict(),
  z
    .object({
      /** First day, inclusive. */
      from: isoDate.optional(),
      /** Last day, inclusive. */
      to: isoDate.optional(),
    })
    .strict()
    .refine((w) => w.from !== undefined || w.to !== undefined, { message: 'give "from", "to" or both' })
    .refine((w) => w.from === undefined || w.to === undefined || w.from <= w.to, { message: '"from" is after "to"' }),
]);
export type Window = z.input<typeof windowSchema>;

export interface Bounds {
  /** Inclusive lower bound; null = since the beginning. */
  from: string | null;
  /** Exclusive upper bound; never after the end of the as-of day. */
  to: string;
}

const DAY = 86_400_000;

function dayStart(day: string): Date {
  return new Date(`${day}T00:00:00.000Z`);
}

/** The instant the as-of day ends: D + 1 day, 00:00Z. */
export function asOfEnd(asOf: string): string {
  return new Date(dayStart(asOf).getTime() + DAY).toISOString();
}

/** `instant` shifted back by n units; months and years clamp to the month's last day (Mar 31 − 1 month = Feb 28/29). */
export function subtractUnits(instant: string, n: number, unit: WindowUnit): string {
  const d = new Date(instant);
  if (unit === 'days' || unit === 'weeks') return new Date(d.getTime() - n * (unit === 'weeks' ? 7 : 1) * DAY).toISOString();
  const months = unit === 'months' ? n : 12 * n;
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth() - months;
  const target = new Date(Date.UTC(y, m, 1, d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCMilliseconds()));
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(d.getUTCDate(), lastDay));
  return target.toISOString();
}

/**
 * The instants a window covers as of a day. No window = all history up to the as-of day;
 * a window reaching past the as-of day is cut at its end, so a rule never sees the future.
 *
 * @example
 * windowBounds({ last: 90, unit: 'days' }, '2026-06-30') // { from: '2026-04-02T00:00:00.000Z', to: '2026-07-01T00:00:00.000Z' }
 * windowBounds({ from: '2026-01-01', to: '2026-01-31' }, '2026-06-30') // { from: '2026-01-01T…', to: '2026-02-01T…' }
 */
export function windowBounds(w: Window | undefined, asOf: string): Bounds {
  const end = asOfEnd(asOf);
  if (!w) return { from: null, to: end };
  if ('last' in w) return { from: subtractUnits(end, w.last, w.unit ?? 'days'), to: end };
  const to = w.to === undefined ? end : new Date(dayStart(w.to).getTime() + DAY).toISOString();
  return { from: w.from === undefined ? null : dayStart(w.from).toISOString(), to: to < end ? to : end };
}

/** Today in UTC as 'YYYY-MM-DD'. */
export function todayUtc(now = new Date()): string {
  return now.toISOString().slice(0, 10);
}
