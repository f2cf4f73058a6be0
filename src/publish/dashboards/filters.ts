import { z } from 'zod';
import { fromZodError, ValidationError } from '../../errors.ts';
import type { Warehouse } from '../../warehouse/index.ts';
import { granularities, type Dashboard, type FilterName, type FilterParamName, type Granularity } from './schema.ts';

/** A dashboard's filter state: what the user picked, defaults filled in. Null = all. */
export interface FilterState {
  from: string;
  to: string;
  granularity: Granularity;
  region: string | null;
  rep: string | null;
  segment: string | null;
}

/** The query-string keys each filter reads. */
export const filterKeys: Record<FilterName, (keyof FilterState)[]> = {
  date_range: ['from', 'to'],
  granularity: ['granularity'],
  region: ['region'],
  rep: ['rep'],
  segment: ['segment'],
};

const isoDate = z.iso.date('a date as YYYY-MM-DD');
const choice = z
  .string()
  .max(200)
  .transform((s) => (s.trim() === '' ? null : s.trim()));

const querySchema = z
  .object({
    from: isoDate.optional(),
    to: isoDate.optional(),
    granularity: z.enum(granularities).optional(),
    region: choice.optional(),
    rep: choice.optional(),
    segment: choice.optional(),
  })
  .strict();

const DAY = 86_400_000;
const toDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const ms = (d: string) => Date.parse(`${d}T00:00:00Z`);

/** `months` calendar months ending on `end`: from the first day of the month `months - 1` before. */
export function defaultRange(end: string, months: number): { from: string; to: string } {
  const d = new Date(ms(end));
  const from = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - (months - 1), 1));
  return { from: toDay(from.getTime()), to: end };
}

/** The period of the same number of days that ends the day before `from`. */
export function previousPeriod(from: string, to: string): { prev_from: string; prev_to: string } {
  const days = Math.round((ms(to) - ms(from)) / DAY) + 1;
  return { prev_from: toDay(ms(from) - days * DAY), prev_to: toDay(ms(from) - DAY) };
}

/** The date the default range ends on: the dashboard's anchor query, else today (UTC). */
export async function anchorDate(wh: Warehouse, dashboard: Dashboard, sqlOf: (name: string) => string): Promise<string> {
  if (dashboard.defaults.anchor) {
    const [row] = await wh.all<{ end_date: string | null }>(sqlOf(dashboard.defaults.anchor));
    if (row?.end_date) return String(row.end_date).slice(0, 10);
  }
  return new Date().toISOString().slice(0, 10);
}

/**
 * Validates a query string against the filters the dashboard offers and fills in defaults.
 * Keys in `ignore` (e.g. `format`) are passed over; any other unknown key is a VALIDATION error.
 */
export function parseFilters(
  dashboard: Dashboard,
  query: Record<string, unknown>,
  anchor: string,
  ignore: string[] = [],
): FilterState {
  const offered = new Set(dashboard.filters.flatMap((f) => filterKeys[f]));
  const picked: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(query)) {
    if (ignore.includes(k)) continue;
    if (!offered.has(k as keyof FilterState)) {
      throw new ValidationError(`unknown filter "${k}"; dashboard ${dashboard.name} accepts: ${[...offered].join(', ') || '(none)'}`, { field: k });
    }
    if (Array.isArray(v)) throw new ValidationError(`filter "${k}" given more than once`, { field: k });
    picked[k] = v;
  }
  const parsed = querySchema.safeParse(picked);
  if (!parsed.success) throw fromZodError(parsed.error, 'query');
  const q = parsed.data;
  const range = defaultRange(anchor, dashboard.defaults.months);
  const from = q.from ?? (q.to && q.to < range.from ? toDay(ms(q.to) - 364 * DAY) : range.from);
  const to = q.to ?? (q.from && q.from > range.to ? q.from : range.to);
  if (from > to) throw new ValidationError(`from (${from}) is after to (${to})`, { field: 'from' });
  if (ms(to) - ms(from) > 366 * 25 * DAY) throw new ValidationError('the date range is longer than 25 years', { field: 'from' });
  const granularity = q.granularity ?? dashboard.defaults.granularity;
  if (granularity === 'day' && ms(to) - ms(from) > 366 * 5 * DAY) {
    throw new ValidationError('daily granularity covers at most 5 years; pick week, month or quarter', { field: 'granularity' });
  }
  return { from, to, granularity, region: q.region ?? null, rep: q.rep ?? null, segment: q.segment ?? null };
}

/** Every filter parameter a panel query can read, from a filter state. */
export function filterParams(state: FilterState): Record<FilterParamName, string | null> {
  return { ...state, ...previousPeriod(state.from, state.to) };
}

/** The state as query-string pairs (only what differs from nothing), for links and the CSV URL. */
export function filterQuery(state: FilterState, dashboard: Dashboard): URLSearchParams {
  const qs = new URLSearchParams();
  for (const f of dashboard.filters) for (const k of filterKeys[f]) if (state[k] !== null) qs.set(k, String(state[k]));
  return qs;
}
