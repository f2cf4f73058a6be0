import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/demo/rng.ts';
import { addMonths, civil, crmDate, crmDateTime, DAY, DayWarp, daysFromCivil, fromNyLocal, isoUtc, nyOffset, parseDay, quarterStart, shopDateTime, utc } from '../../src/demo/time.ts';

const ny = new Intl.DateTimeFormat('en-US', {
  timeZone: 'America/New_York',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
  timeZoneName: 'longOffset',
});

function parts(ms: number) {
  const p = Object.fromEntries(ny.formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
  return p as Record<string, string>;
}

describe('demo time formatting', () => {
  it('round-trips civil dates', () => {
    for (let d = -1000; d < 30_000; d += 37) {
      const { y, m, d: dd } = civil(d);
      expect(daysFromCivil(y, m, dd)).toBe(d);
    }
    expect(civil(daysFromCivil(2024, 2, 29))).toEqual({ y: 2024, m: 2, d: 29 });
  });

  it('agrees with Intl on the New York offset and wall clock, including around DST changes', () => {
    const rng = new Rng(1);
    const instants: number[] = [];
    for (let i = 0; i < 3000; i++) instants.push(utc(2020, 1, 1) + Math.floor(rng.float() * 11 * 365 * DAY / 1000) * 1000);
    // Minutes around the 2025 and 2026 switches.
    for (const t of [utc(2025, 3, 9, 7), utc(2025, 11, 2, 6), utc(2026, 3, 8, 7), utc(2026, 11, 1, 6)]) for (let k = -3; k <= 3; k++) instants.push(t + k * 60_000);
    for (const t of instants) {
      const p = parts(t);
      const offset = p.timeZoneName === 'GMT-04:00' ? '-0400' : '-0500';
      expect(nyOffset(t) === -4 * 3_600_000 ? '-0400' : '-0500').toBe(offset);
      expect(shopDateTime(t)).toBe(`${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second} ${offset}`);
      const h = Number(p.hour);
      expect(crmDateTime(t)).toBe(`${p.month}/${p.day}/${p.year} ${String(h % 12 === 0 ? 12 : h % 12).padStart(2, '0')}:${p.minute} ${h < 12 ? 'AM' : 'PM'}`);
      expect(crmDate(t)).toBe(`${p.month}/${p.day}/${p.year}`);
      expect(isoUtc(t)).toBe(new Date(t).toISOString().replace('.000Z', 'Z'));
    }
  });

  it('turns New York wall-clock time back into the instant', () => {
    const t = utc(2025, 7, 4, 16, 30); // 12:30 EDT
    expect(fromNyLocal(t - 4 * 3_600_000)).toBe(t);
    const w = utc(2025, 1, 15, 17); // 12:00 EST
    expect(fromNyLocal(w - 5 * 3_600_000)).toBe(w);
  });

  it('adds calendar months with the day clamped', () => {
    expect(new Date(addMonths(utc(2025, 1, 31, 10), 1)).toISOString()).toBe('2025-02-28T10:00:00.000Z');
    expect(new Date(addMonths(utc(2024, 1, 31), 1)).toISOString()).toBe('2024-02-29T00:00:00.000Z');
    expect(new Date(addMonths(utc(2025, 11, 15), 3)).toISOString()).toBe('2026-02-15T00:00:00.000Z');
    expect(new Date(addMonths(utc(2026, 10, 31), -36)).toISOString()).toBe('2023-10-31T00:00:00.000Z');
  });

  it('finds quarter starts and parses days strictly', () => {
    expect(new Date(quarterStart(utc(2025, 8, 19, 13))).toISOString()).toBe('2025-07-01T00:00:00.000Z');
    expect(new Date(quarterStart(utc(2025, 1, 1))).toISOString()).toBe('2025-01-01T00:00:00.000Z');
    expect(parseDay('2026-10-31')).toBe(utc(2026, 10, 31));
    expect(() => parseDay('2026-02-30')).toThrow();
    expect(() => parseDay('31.10.2026')).toThrow();
  });

  it('warps the time of day monotonically without leaving the day', () => {
    const warp = new DayWarp(Array.from({ length: 24 }, (_, h) => (h >= 18 ? 3 : 1)));
    let last = -Infinity;
    for (let u = 0; u < 1; u += 0.001) {
      const v = warp.map(u);
      expect(v).toBeGreaterThanOrEqual(last);
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThan(1);
      last = v;
    }
    // Half of the weight (18 of 36) sits in the last six hours.
    expect(warp.map(0.5)).toBeCloseTo(18 / 24, 10);
    const t = utc(2025, 5, 5, 20);
    expect(crmDate(warp.apply(t))).toBe(crmDate(t));
  });
});
