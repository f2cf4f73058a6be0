import { describe, expect, it } from 'vitest';
import { AppError } from '../../../src/errors.ts';
import { runRetention } from '../../../src/models/retention/run.ts';
import { withWarehouse } from '../../helpers.ts';

const fixture = `insert into orders (order_id, customer_id, ordered_at, status, total_amount) values
  ('a1', 1, timestamptz '2024-01-05 10:00:00+00', 'completed', 100),
  ('a2', 1, timestamptz '2024-02-10 10:00:00+00', 'completed', 50),
  ('a3', 1, timestamptz '2024-04-02 10:00:00+00', 'completed', 30),
  ('b1', 2, timestamptz '2024-01-20 10:00:00+00', 'completed', 40),
  ('b2', 2, timestamptz '2024-03-03 10:00:00+00', 'completed', 60),
  ('b3', 2, timestamptz '2024-03-10 10:00:00+00', 'completed', -10),  -- refund record: March revenue 50
  ('c1', 3, timestamptz '2024-02-01 10:00:00+00', 'completed', 200),
  ('c2', 3, timestamptz '2024-02-15 10:00:00+00', 'completed', 20),
  ('c3', 3, timestamptz '2024-03-01 10:00:00+00', 'completed', 80),
  ('d1', 4, timestamptz '2024-03-30 10:00:00+00', 'cancelled', 10),   -- not a purchase
  ('d2', 4, timestamptz '2024-04-01 10:00:00+00', 'completed', 25),
  ('e1', 5, timestamptz '2024-05-03 10:00:00+00', 'completed', 99)    -- after as-of`;

describe('retention run on a hand-worked fixture (as of 2024-04-30)', () => {
  it('writes the cohort matrix with customer and revenue retention', async () => {
    await withWarehouse(async (wh) => {
      await wh.run(fixture);
      const r = await runRetention(wh, { asOf: '2024-04-30' });
      expect(r).toMatchObject({ cohorts: 3, customers: 4 });
      const rows = await wh.all<Record<string, any>>(
        'select cohort_month, months_since, cohort_customers, active_customers, customer_retention, revenue, revenue_retention from retention_cohorts order by 1, 2',
      );
      expect(rows.map((r) => [r.cohort_month, r.months_since, r.cohort_customers, r.active_customers, r.revenue])).toEqual([
        ['2024-01-01', 0, 2, 2, 140],
        ['2024-01-01', 1, 2, 1, 50],
        ['2024-01-01', 2, 2, 1, 50],
        ['2024-01-01', 3, 2, 1, 30],
        ['2024-02-01', 0, 1, 1, 220],
        ['2024-02-01', 1, 1, 1, 80],
        ['2024-02-01', 2, 1, 0, 0],
        ['2024-04-01', 0, 1, 1, 25],
      ]);
      expect(rows[1].customer_retention).toBe(0.5);
      expect(rows[3].revenue_retention).toBeCloseTo(30 / 140, 12);
      expect(rows[6].revenue_retention).toBe(0);
    });
  });

  it('writes the lifecycle: new, returning, resurrecting, dormant', async () => {
    await withWarehouse(async (wh) => {
      await wh.run(fixture);
      await runRetention(wh, { asOf: '2024-04-30' });
      const rows = await wh.all<{ period_start: string; state: string; customers: number; revenue: number }>(
        'select period_start, state, customers, revenue from retention_lifecycle order by period_start, state',
      );
      expect(rows).toEqual([
        { period_start: '2024-01-01', state: 'new', customers: 2, revenue: 140 },
        { period_start: '2024-02-01', state: 'dormant', customers: 1, revenue: -40 },
        { period_start: '2024-02-01', state: 'new', customers: 1, revenue: 220 },
        { period_start: '2024-02-01', state: 'returning', customers: 1, revenue: 50 },
        { period_start: '2024-03-01', state: 'dormant', customers: 1, revenue: -50 },
        { period_start: '2024-03-01', state: 'resurrecting', customers: 1, revenue: 50 },
        { period_start: '2024-03-01', state: 'returning', customers: 1, revenue: 80 },
        { period_start: '2024-04-01', state: 'dormant', customers: 2, revenue: -130 },
        { period_start: '2024-04-01', state: 'new', customers: 1, revenue: 25 },
        { period_start: '2024-04-01', state: 'resurrecting', customers: 1, revenue: 30 },
      ]);
    });
  });

  it('replaces the previous run and records runs; fails clearly without orders', async () => {
    await withWarehouse(async (wh) => {
      const error = await runRetention(wh).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AppError);
      expect((error as AppError).message).toMatch(/no purchases/);
      await wh.run(fixture);
      await runRetention(wh, { asOf: '2024-03-31' });
      const second = await runRetention(wh);
      expect(second.asOfDate).toBe('2024-05-03');
      const [{ runs }] = await wh.all<{ runs: number }>('select count(distinct run_id) as runs from retention_cohorts');
      expect(runs).toBe(1);
      const statuses = await wh.all<{ status: string }>("select status from model_runs where model = 'retention' order by run_id");
      expect(statuses.map((s) => s.status)).toEqual(['failed', 'succeeded', 'succeeded']);
    });
  });
});
