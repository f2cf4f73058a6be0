import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { bucketOfDay, bucketOfDayInRange } from '../../../src/models/reports/grid.ts';
import type { Bucket } from '../../../src/models/reports/params.ts';
import { withWarehouse } from '../../helpers.ts';

/**
 * bucketOfDayInRange (comparisons against the range's bucket starts) must give date_trunc's bucket for
 * every day: inside the range, on its edges, outside it (before and after, where it falls back to
 * date_trunc) and null.
 */
describe('bucketing a day column by comparisons within the range', () => {
  const ranges = [
    { from: '2025-12-01', toExclusive: '2026-11-24' }, // the bench's default range: partial last month, Q4 start outside
    { from: '2024-02-29', toExclusive: '2024-03-01' }, // one day (leap day)
    { from: '2023-12-27', toExclusive: '2025-01-06' }, // weeks and years across year ends, unaligned
    { from: '2020-01-01', toExclusive: '2026-01-01' }, // 313 weeks: more buckets than compared, date_trunc for all
  ];
  const buckets: Bucket[] = ['day', 'week', 'month', 'quarter', 'year'];

  it('gives the same bucket as date_trunc for every day around the range and for null', async () => {
    await withWarehouse(async (wh) => {
      for (const range of ranges)
        for (const by of buckets) {
          const day = sql`t.d`;
          const { rows } = await sql<{ d: string | null; got: string | null; want: string | null }>`
            select t.d, ${bucketOfDayInRange(by, day, range)} as got, ${bucketOfDay(by, day)} as want
            from (
              select cast(x as date) as d
              from range(cast(${range.from} as date) - interval 400 day, cast(${range.toExclusive} as date) + interval 400 day, interval 1 day) as r(x)
              union all select null
            ) as t`.execute(wh.db);
          expect(rows.length).toBeGreaterThan(800);
          const wrong = rows.filter((r) => r.got !== r.want);
          expect(wrong, `${by} over ${range.from} … ${range.toExclusive}`).toEqual([]);
          expect(rows.find((r) => r.d === null)?.got).toBeNull();
        }
    });
  });

  it('compares instead of truncating while the range has few buckets', async () => {
    await withWarehouse(async (wh) => {
      const text = (by: Bucket, range: { from: string; toExclusive: string }) => bucketOfDayInRange(by, sql`t.d`, range).compile(wh.db).sql;
      // A year by quarter: 5 buckets (Q4 2025 … Q4 2026), the tree's bounds are the quarter starts.
      const q = text('quarter', ranges[0]);
      expect(q).toContain("date '2025-10-01'");
      expect(q).toContain("date '2027-01-01'");
      expect((q.match(/date_trunc/g) ?? []).length).toBe(1); // only the fallback outside the range
      // 313 weeks: date_trunc alone.
      expect(text('week', ranges[3])).not.toContain('case');
    });
  });
});
