import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sqlFile } from '../../../src/warehouse/index.ts';
import { withWarehouse } from '../../helpers.ts';
import { cdnowDir, loadCdnowOrders, parseNumericCsv } from './fixtures.ts';

interface SummaryRow {
  customer_id: number;
  first_purchase_date: string;
  last_purchase_date: string;
  frequency: number;
  recency_days: number;
  tenure_days: number;
  recency: number;
  tenure: number;
  monetary_value: number;
  total_revenue: number;
  holdout_frequency: number;
  holdout_revenue: number;
}

const summary = (calibrationEnd: string, holdoutEnd: string | null, unitDays: 1 | 7, byOrder = false) => ({
  sql: `select * exclude (in_window) from (${sqlFile('models/clv/summary')}) where in_window order by customer_id`,
  params: { calibration_end: calibrationEnd, holdout_end: holdoutEnd, unit_days: unitDays, by_order: byOrder, gross: false },
});

/** Half-up rounding of values that are ratios of cents (the reference file's rounding). */
const round2 = (v: number) => Math.round(v * 100 + 1e-6) / 100;

describe('RFM summary SQL on CDNOW_sample.txt', () => {
  it('reproduces cdnow_customers_summary*.csv exactly (39-week calibration, weeks = days / 7)', async () => {
    await withWarehouse(async (wh) => {
      expect(await loadCdnowOrders(wh)).toBe(6919);
      const { sql, params } = summary('1997-09-30', '1998-06-30', 7);
      const rows = await wh.all<SummaryRow>(sql, params);
      const paper = parseNumericCsv(readFileSync(`${cdnowDir}/cdnow_customers_summary_with_transactions.csv`, 'utf8'));
      const plain = parseNumericCsv(readFileSync(`${cdnowDir}/cdnow_customers_summary.csv`, 'utf8'));
      expect(rows).toHaveLength(2357);
      const mismatches: string[] = [];
      rows.forEach((r, i) => {
        const p = paper[i];
        const s = plain[i];
        const ours = [r.customer_id, r.frequency, r.recency, r.tenure, round2(r.monetary_value)];
        if (ours.join() !== [p.ID, p.x, p.t_x, p.T, p.zbar].join() || [s.ID, s.frequency, s.recency, s.T].join() !== ours.slice(0, 4).join()) {
          mismatches.push(`${ours.join()} vs ${[p.ID, p.x, p.t_x, p.T, p.zbar].join()}`);
        }
      });
      expect(mismatches).toEqual([]);
      expect(rows.reduce((s, r) => s + r.frequency, 0)).toBe(2457);
      expect(rows.filter((r) => r.frequency > 0)).toHaveLength(946);
      // holdout weeks 40–78: 1,882 repeat purchase days (README)
      expect(rows.reduce((s, r) => s + r.holdout_frequency, 0)).toBe(1882);
      // customer 1: a purchase on 1997-12-12 in the holdout
      expect(rows[0]).toMatchObject({ customer_id: 1, holdout_frequency: 1, holdout_revenue: 26.48, first_purchase_date: '1997-01-01', last_purchase_date: '1997-08-02' });
    });
  });

  it('works in days: integers, the same frequencies', async () => {
    await withWarehouse(async (wh) => {
      await loadCdnowOrders(wh);
      const { sql, params } = summary('1997-09-30', null, 1);
      const rows = await wh.all<SummaryRow>(sql, params);
      // without a holdout end, purchases after the calibration end are still counted (customer 1: 1997-12-12)
      expect(rows[0]).toMatchObject({ frequency: 2, recency: 213, tenure: 272, recency_days: 213, tenure_days: 272, holdout_frequency: 1 });
      expect(rows.every((r) => Number.isInteger(r.recency) && Number.isInteger(r.tenure))).toBe(true);
    });
  });
});

describe('RFM summary purchase policy (hand-worked fixture)', () => {
  it('counts completed and returned orders per UTC day, net of refunds; negative totals, cancellations and later customers are left out', async () => {
    await withWarehouse(async (wh) => {
      await wh.run(`insert into orders (order_id, customer_id, ordered_at, status, total_amount) values
        ('a1', 1, timestamptz '2024-01-01 09:00:00+00', 'completed', 10.00),
        ('a2', 1, timestamptz '2024-01-01 18:00:00+00', 'completed', 5.00),   -- same day: one purchase day worth 15
        ('a3', 1, timestamptz '2024-01-15 12:00:00+00', 'completed', 20.00),
        ('a4', 1, timestamptz '2024-01-20 12:00:00+00', 'returned', -20.00),  -- negative total (a refund record): not a purchase
        ('a5', 1, timestamptz '2024-02-01 12:00:00+00', 'cancelled', 50.00),  -- cancelled: not a purchase
        ('a6', 1, timestamptz '2024-02-10 12:00:00+00', 'completed', 0.00),   -- free order: a purchase day worth 0
        ('a7', 1, timestamptz '2024-03-05 12:00:00+00', 'completed', 30.00),  -- holdout
        ('a8', 1, timestamptz '2024-04-05 12:00:00+00', 'completed', 99.00),  -- after the holdout
        ('b1', 2, timestamptz '2024-03-10 12:00:00+00', 'completed', 12.00),  -- first purchase after the window
        ('c1', 3, timestamptz '2024-01-05 12:00:00+00', 'completed', -15.00), -- negative total: treated as a return
        ('c2', 3, timestamptz '2024-01-06 12:00:00+00', 'completed', 40.00),
        ('d1', 4, timestamptz '2024-01-29 00:00:00+00', 'pending', 8.00),
        ('d2', 4, timestamptz '2024-02-29 23:59:59+00', 'completed', 8.00),   -- last second of the window counts
        ('d3', 4, timestamptz '2024-03-01 00:00:00+00', 'completed', 9.00),   -- first second after it does not
        ('e1', 5, timestamptz '2024-01-10 12:00:00+00', 'completed', 40.00),
        ('e2', 5, timestamptz '2024-01-20 12:00:00+00', 'returned', 50.00),   -- partly returned: 50 − 20 refunded = 30
        ('e3', 5, timestamptz '2024-02-05 12:00:00+00', 'returned', 25.00)    -- returned, no refund lines: taken as fully refunded, 0`);
      await wh.run(`insert into order_lines (order_id, line_no, product_id, quantity, unit_price, line_amount) values
        ('e2', 1, 'p1', 2, 25.00, 50.00), ('e2', 2, 'p1', -1, 20.00, -20.00), ('e1', 1, 'p1', 1, 40.00, 40.00)`);
      const { sql, params } = summary('2024-02-29', '2024-03-31', 7);
      const rows = await wh.all<SummaryRow>(sql, params);
      expect(rows.map((r) => r.customer_id)).toEqual([1, 3, 4, 5]);
      const [c1, c3, c4, c5] = rows;
      // purchase days 01-01 (15), 01-15 (20), 02-10 (0): x = 2, tₓ = 40 days, T = 59 days, z̄ = (20 + 0) / 2
      expect(c1).toMatchObject({
        frequency: 2,
        recency_days: 40,
        tenure_days: 59,
        recency: 5.71,
        tenure: 8.43,
        monetary_value: 10,
        total_revenue: 35,
        holdout_frequency: 1,
        holdout_revenue: 30,
        first_purchase_date: '2024-01-01',
        last_purchase_date: '2024-02-10',
      });
      expect(c3).toMatchObject({ frequency: 0, recency: 0, tenure_days: 54, monetary_value: 0, total_revenue: 40, first_purchase_date: '2024-01-06' });
      expect(c4).toMatchObject({ frequency: 0, tenure_days: 0, tenure: 0, total_revenue: 8, holdout_frequency: 1, holdout_revenue: 9 });
      // returned orders are purchase events valued net of refunds: days worth 40, 30, 0
      expect(c5).toMatchObject({ frequency: 2, recency_days: 26, monetary_value: 15, total_revenue: 70 });

      // By order: the two orders of 2024-01-01 are two purchases, times are exact, T runs to the end of 02-29.
      const byOrder = await wh.all<SummaryRow>(summary('2024-02-29', '2024-03-31', 7, true).sql, summary('2024-02-29', '2024-03-31', 7, true).params);
      expect(byOrder[0]).toMatchObject({ customer_id: 1, frequency: 3, recency_days: 40.125, tenure_days: 59.625, recency: 5.73, tenure: 8.52, total_revenue: 35 });
      expect(byOrder[0].monetary_value).toBeCloseTo(25 / 3, 12);
      // d2 at 23:59:59 on the last day is inside the window, d3 one second later is the holdout
      expect(byOrder.find((r) => r.customer_id === 4)).toMatchObject({ frequency: 0, holdout_frequency: 1, tenure_days: 1 / 86400 });
    });
  });
});
