import { sql } from 'kysely';
import { gridReport, nextBucket, utc, type GridParams } from '../grid.ts';
import { customerDimensions, repDimensions } from '../dimensions.ts';
import { sqlFragment } from '../sql-fragment.ts';
import type { ReportColumn, ReportRow } from '../types.ts';

const weekdays = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const months = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** Contact statistics: interaction frequency by channel × weekday / month of year / hour, with a seasonality index. */
export const contactStatsReport = gridReport({
  name: 'contact-stats',
  title: 'Contact statistics',
  description: 'Interactions by channel × weekday, month of year or hour: frequency, share and seasonality index',
  defaultBy: 'none',
  defaultGroupBy: ['channel', 'weekday'],
  dimensions: {
    channel: { label: 'Channel', expr: sql`f.channel` },
    direction: { label: 'Direction', expr: sql`f.direction` },
    outcome: { label: 'Outcome', expr: sql`f.outcome` },
    weekday: { label: 'Weekday', expr: sql`dayname(${utc(sql`f.at`)})`, orderBy: sql`isodow(${utc(sql`f.at`)})` },
    month_of_year: { label: 'Month of year', expr: sql`monthname(${utc(sql`f.at`)})`, orderBy: sql`month(${utc(sql`f.at`)})` },
    hour: { label: 'Hour (UTC)', expr: sql`hour(${utc(sql`f.at`)})`, type: 'number' },
    ...repDimensions,
    ...customerDimensions,
  },
  measures: [
    { name: 'interactions', label: 'Interactions', format: 'count', expr: sql`count(*)` },
    { name: 'customers', label: 'Customers', format: 'count', expr: sql`count(distinct f.customer_id)` },
    { name: 'inbound_share', label: 'Inbound share', format: 'percent', expr: sql`count(*) filter (where f.direction = 'inbound') / nullif(count(*), 0)` },
    { name: 'minutes', label: 'Minutes', format: 'minutes', expr: sql`coalesce(sum(f.minutes), 0)` },
    { name: 'avg_minutes', label: 'Mean minutes (where logged)', format: 'minutes', expr: sql`avg(f.minutes)` },
  ],
  facts: (p) => sqlFragment('reports/contact-stats', { from: p.from, to: p.toExclusive }),
  post: seasonality,
  notes: (p) =>
    p.groupBy.some((g) => g === 'weekday' || g === 'month_of_year')
      ? [
          'share = the row\'s interactions / the interactions of its group (same period and other group-by). seasonality_index = share / the share of calendar days that weekday (or month) has in the range: 1.0 is average, 1.3 is 30 % busier than an average day.',
          'Weekdays, months and hours are in UTC.',
        ]
      : ['Weekdays, months and hours are in UTC.'],
});

/** Adds share and seasonality_index when a group-by is weekday or month_of_year (computed from the aggregated rows). */
function seasonality(rows: ReportRow[], p: GridParams): { rows: ReportRow[]; columns?: ReportColumn[] } {
  const seasonal = p.groupBy.find((g) => g === 'weekday' || g === 'month_of_year');
  if (!seasonal || (rows.length && !('interactions' in rows[0]))) return { rows };
  const others = [...(p.by !== 'none' ? ['period'] : []), ...p.groupBy.filter((g) => g !== seasonal)];
  const family = (r: ReportRow) => JSON.stringify([r.row_type, ...others.map((k) => r[k] ?? null)]);
  const totals = new Map<string, number>();
  for (const r of rows) if (r[seasonal] !== null) totals.set(family(r), (totals.get(family(r)) ?? 0) + Number(r.interactions));
  const out = rows.map((r) => {
    const label = r[seasonal];
    if (label === null) return { ...r, share: null, seasonality_index: null };
    const total = totals.get(family(r)) ?? 0;
    const share = total > 0 ? Number(r.interactions) / total : null;
    const [start, end] = windowOf(p, typeof r.period === 'string' ? r.period : null);
    const days = calendarShare(start, end, seasonal as 'weekday' | 'month_of_year', String(label));
    return {
      ...r,
      share: share === null ? null : round(share, 4),
      seasonality_index: share === null || !days ? null : round(share / days, 3),
    };
  });
  return { rows: out, columns: extraColumns() };
}

function extraColumns(): ReportColumn[] {
  return [
    { name: 'share', label: 'Share of group', type: 'number', role: 'measure', format: 'percent' },
    { name: 'seasonality_index', label: 'Seasonality index', type: 'number', role: 'measure', format: 'number', description: '1.0 = an average day' },
  ];
}

/** The days [start, end) a row covers: the report range, cut to the row's period bucket. */
function windowOf(p: GridParams, period: string | null): [string, string] {
  if (!period || p.by === 'none') return [p.from, p.toExclusive];
  const next = nextBucket(period, p.by);
  return [period > p.from ? period : p.from, next < p.toExclusive ? next : p.toExclusive];
}

/** The share of days in [start, end) that fall on the weekday (or in the month) `label`. */
export function calendarShare(start: string, end: string, kind: 'weekday' | 'month_of_year', label: string): number | null {
  let total = 0;
  let hits = 0;
  for (let d = new Date(`${start}T00:00:00Z`); d.toISOString().slice(0, 10) < end; d.setUTCDate(d.getUTCDate() + 1)) {
    total++;
    const name = kind === 'weekday' ? weekdays[d.getUTCDay()] : months[d.getUTCMonth()];
    if (name === label) hits++;
  }
  return total && hits ? hits / total : null;
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
