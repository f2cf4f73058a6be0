import { AliasTable, type Rng } from './rng.ts';
import { civil, DAY, DayWarp, fromNyLocal, HOUR, MINUTE, nyLocal, weekday } from './time.ts';

/**
 * When things happen during a day and a week. Sales work happens in New York business hours on
 * weekdays (a weekend date slides to Monday 95 % of the time); consumers act any day, mostly in
 * the evening. Monthly factors thin sales activity in August and late December.
 */
const businessHours = [8, 9, 10, 11, 12, 13, 14, 15, 16, 17];
const businessTable = new AliasTable([1, 2.2, 3, 3, 1.4, 2.4, 3, 2.8, 2.3, 1.2]);
const consumerHours = Array.from({ length: 24 }, (_, h) => h);
const consumerTable = new AliasTable([0.3, 0.15, 0.1, 0.1, 0.1, 0.2, 0.5, 1, 1.5, 1.8, 2, 2.1, 2.3, 2.1, 2, 2, 2.1, 2.3, 2.6, 3, 3.2, 3, 2.2, 1]);

/** Hour-of-day profile of web-shop orders (a warp, so order counts per day stay untouched). */
export const orderWarp = new DayWarp([0.35, 0.2, 0.12, 0.1, 0.1, 0.2, 0.45, 0.9, 1.3, 1.5, 1.6, 1.7, 1.9, 1.8, 1.6, 1.5, 1.5, 1.6, 1.9, 2.3, 2.6, 2.4, 1.7, 0.9]);

export const salesMonthFactor = [1.0, 1.0, 1.05, 1.0, 1.0, 0.95, 0.85, 0.78, 1.05, 1.1, 1.1, 0.75];

/** A moment in business hours on the New York day of t (or the next Monday). */
export function businessMoment(rng: Rng, t: number): number {
  let day = Math.floor(nyLocal(t) / DAY);
  const wd = weekday(day);
  if (wd === 6 && rng.float() > 0.05) day += 2;
  else if (wd === 0 && rng.float() > 0.05) day += 1;
  const h = businessHours[businessTable.sample(rng)];
  return fromNyLocal(day * DAY + h * HOUR + Math.floor(rng.float() * 60) * MINUTE + Math.floor(rng.float() * 60) * 1000);
}

/** A moment on the New York day of t at a consumer's hour (evenings), any day of the week. */
export function consumerMoment(rng: Rng, t: number): number {
  const day = Math.floor(nyLocal(t) / DAY);
  const h = consumerHours[consumerTable.sample(rng)];
  return fromNyLocal(day * DAY + h * HOUR + Math.floor(rng.float() * 3600) * 1000);
}

/** Keeps a sales activity with the month's factor (thinning): fewer in August and December. */
export function salesSeasonKeep(rng: Rng, t: number): boolean {
  const { m } = civil(Math.floor(nyLocal(t) / DAY));
  return rng.float() < salesMonthFactor[m - 1] / 1.1;
}
