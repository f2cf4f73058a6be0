/**
 * Instants are epoch milliseconds (UTC) throughout the generator. This file turns them into the
 * text each source system writes, fast and without Date objects in the hot loops:
 * - the CRM writes local wall-clock time in America/New_York ("03/14/2025 01:05 PM", no offset),
 * - the web shop writes local time with its offset ("2025-03-14 13:05:00 -0400"),
 * - the help desk and billing write UTC ISO ("2025-03-14T17:05:00Z").
 * America/New_York follows the US rule in force since 2007 (second Sunday of March 02:00 to
 * first Sunday of November 02:00), which covers every year the generator writes.
 */
export const MINUTE = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;
export const WEEK = 7 * DAY;

export const CRM_TIME_ZONE = 'America/New_York';

const P2: string[] = Array.from({ length: 100 }, (_, i) => (i < 10 ? `0${i}` : String(i)));

/** Civil date from days since 1970-01-01 (H. Hinnant's algorithm). */
export function civil(days: number): { y: number; m: number; d: number } {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return { y: yoe + era * 400 + (m <= 2 ? 1 : 0), m, d };
}

/** Days since 1970-01-01 of a civil date. */
export function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** Epoch ms of a UTC civil date-time. */
export function utc(y: number, m: number, d: number, h = 0, mi = 0, s = 0): number {
  return daysFromCivil(y, m, d) * DAY + h * HOUR + mi * MINUTE + s * 1000;
}

/** Parses "YYYY-MM-DD" to epoch ms at 00:00 UTC. */
export function parseDay(text: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) throw new Error(`not a date: ${text}`);
  const ms = utc(+m[1], +m[2], +m[3]);
  if (isoDay(ms) !== text) throw new Error(`not a date: ${text}`);
  return ms;
}

/** 0 = Sunday … 6 = Saturday, of a day number. */
export function weekday(days: number): number {
  return (((days + 4) % 7) + 7) % 7;
}

/** Adds calendar months, clamping the day (Jan 31 + 1 month = Feb 28/29); keeps the time of day. */
export function addMonths(ms: number, months: number): number {
  const days = Math.floor(ms / DAY);
  const tod = ms - days * DAY;
  const { y, m, d } = civil(days);
  const total = y * 12 + (m - 1) + months;
  const ny = Math.floor(total / 12);
  const nm = (total % 12) + 1;
  const last = daysFromCivil(nm === 12 ? ny + 1 : ny, nm === 12 ? 1 : nm + 1, 1) - daysFromCivil(ny, nm, 1);
  return daysFromCivil(ny, nm, Math.min(d, last)) * DAY + tod;
}

/** Start (epoch ms, UTC midnight) of the calendar quarter holding `ms`, and its label. */
export function quarterStart(ms: number): number {
  const { y, m } = civil(Math.floor(ms / DAY));
  return utc(y, m - ((m - 1) % 3), 1);
}

// --- America/New_York ------------------------------------------------------------------------

const dstCache = new Map<number, [number, number]>();
/** [start, end) of daylight saving time in a year, as UTC epoch ms. */
function dstRange(y: number): [number, number] {
  let r = dstCache.get(y);
  if (!r) {
    const mar1 = daysFromCivil(y, 3, 1);
    const secondSunMar = mar1 + ((7 - weekday(mar1)) % 7) + 7;
    const nov1 = daysFromCivil(y, 11, 1);
    const firstSunNov = nov1 + ((7 - weekday(nov1)) % 7);
    r = [secondSunMar * DAY + 7 * HOUR, firstSunNov * DAY + 6 * HOUR];
    dstCache.set(y, r);
  }
  return r;
}

/** UTC offset of America/New_York at an instant, in ms (-4 h or -5 h). */
export function nyOffset(ms: number): number {
  // The year of the instant in UTC is the year of the local time except in the first hours of
  // January 1st, which are never inside DST, so either year gives the right answer. The year
  // comes from a 365.2425-day estimate, corrected at the edges.
  let y = 1970 + Math.floor(ms / (365.2425 * DAY));
  if (ms < utc(y, 1, 1)) y--;
  else if (ms >= utc(y + 1, 1, 1)) y++;
  const [a, b] = dstRange(y);
  return ms >= a && ms < b ? -4 * HOUR : -5 * HOUR;
}

/** Local New York wall-clock time of an instant, as epoch-ms-like "local ms". */
export function nyLocal(ms: number): number {
  return ms + nyOffset(ms);
}

/** Instant of a New York wall-clock time (for times that exist; ambiguous ones take standard time). */
export function fromNyLocal(localMs: number): number {
  const guess = localMs + 5 * HOUR;
  const off = nyOffset(guess);
  return localMs - off;
}

// --- formatters (cached per day) ------------------------------------------------------------

// Day strings cached by day number (1970–2099 in an array; other days computed each time).
const CACHE_DAYS = 47_482;
const mdyCache: string[] = new Array(CACHE_DAYS);
const ymdCache: string[] = new Array(CACHE_DAYS);

function mdy(days: number): string {
  let s = days >= 0 && days < CACHE_DAYS ? mdyCache[days] : undefined;
  if (s === undefined) {
    const { y, m, d } = civil(days);
    s = `${P2[m]}/${P2[d]}/${y}`;
    if (days >= 0 && days < CACHE_DAYS) mdyCache[days] = s;
  }
  return s;
}

function ymd(days: number): string {
  let s = days >= 0 && days < CACHE_DAYS ? ymdCache[days] : undefined;
  if (s === undefined) {
    const { y, m, d } = civil(days);
    s = `${y}-${P2[m]}-${P2[d]}`;
    if (days >= 0 && days < CACHE_DAYS) ymdCache[days] = s;
  }
  return s;
}

/** "YYYY-MM-DD" of an instant in UTC. */
export function isoDay(ms: number): string {
  return ymd(Math.floor(ms / DAY));
}

/** "2025-03-14T17:05:09Z". */
export function isoUtc(ms: number): string {
  const days = Math.floor(ms / DAY);
  const t = Math.floor((ms - days * DAY) / 1000);
  return `${ymd(days)}T${P2[Math.floor(t / 3600)]}:${P2[Math.floor(t / 60) % 60]}:${P2[t % 60]}Z`;
}

/** The CRM's timestamp: New York wall clock, "MM/DD/YYYY hh:mm AM" (strptime "%m/%d/%Y %I:%M %p"). */
export function crmDateTime(ms: number): string {
  const local = ms + nyOffset(ms);
  const days = Math.floor(local / DAY);
  const minutes = Math.floor((local - days * DAY) / MINUTE);
  const h = Math.floor(minutes / 60);
  const h12 = h % 12 === 0 ? 12 : h % 12;
  return `${mdy(days)} ${P2[h12]}:${P2[minutes % 60]} ${h < 12 ? 'AM' : 'PM'}`;
}

/** The CRM's date: New York calendar day, "MM/DD/YYYY" (strptime "%m/%d/%Y"). */
export function crmDate(ms: number): string {
  return mdy(Math.floor((ms + nyOffset(ms)) / DAY));
}

/** The CRM's date of a calendar day given as UTC midnight (quotas, campaign dates). */
export function crmDay(dayMs: number): string {
  return mdy(Math.floor(dayMs / DAY));
}

/** The shop's timestamp: New York local time with offset, "2025-03-14 13:05:09 -0400" (strptime "%Y-%m-%d %H:%M:%S %z"). */
export function shopDateTime(ms: number): string {
  const off = nyOffset(ms);
  const local = ms + off;
  const days = Math.floor(local / DAY);
  const t = Math.floor((local - days * DAY) / 1000);
  return `${ymd(days)} ${P2[Math.floor(t / 3600)]}:${P2[Math.floor(t / 60) % 60]}:${P2[t % 60]} ${off === -4 * HOUR ? '-0400' : '-0500'}`;
}

/**
 * A monotone warp of the time of day: maps a uniform position within a New York day onto the
 * hourly profile `weights` (24 values), keeping the calendar day. Counts per day, and the order
 * of events, are unchanged — so a Poisson process stays a Poisson process at day resolution.
 */
export class DayWarp {
  private readonly cum: Float64Array;
  private readonly w: Float64Array;

  constructor(weights: readonly number[]) {
    if (weights.length !== 24) throw new Error('DayWarp needs 24 hourly weights');
    const total = weights.reduce((s, x) => s + x, 0);
    this.w = Float64Array.from(weights, (x) => x / total);
    this.cum = new Float64Array(25);
    for (let i = 0; i < 24; i++) this.cum[i + 1] = this.cum[i] + this.w[i];
  }

  /** Position u in [0,1) of the day → warped position in [0,1). */
  map(u: number): number {
    let k = 0;
    while (k < 23 && this.cum[k + 1] <= u) k++;
    return (k + (u - this.cum[k]) / this.w[k]) / 24;
  }

  apply(ms: number): number {
    const off = nyOffset(ms);
    const local = ms + off;
    const day = Math.floor(local / DAY) * DAY;
    return day + Math.floor(this.map((local - day) / DAY) * DAY) - off;
  }
}
