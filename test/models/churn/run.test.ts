import { describe, expect, it } from 'vitest';
import { AppError } from '../../../src/errors.ts';
import { runChurn } from '../../../src/models/churn/run.ts';
import { withWarehouse } from '../../helpers.ts';
import { gamma, rng } from '../clv/simulate.ts';

const fixture = `insert into subscriptions (subscription_id, customer_id, plan, mrr, started_at, cancelled_at) values
  ('s1', 1, 'A', 10, timestamptz '2024-01-01 00:00:00+00', timestamptz '2024-02-01 00:00:00+00'), -- churned at the 1st renewal
  ('s2', 2, 'A', 10, timestamptz '2024-01-01 00:00:00+00', timestamptz '2024-03-15 00:00:00+00'), -- in its 3rd month
  ('s3', 3, 'A', 10, timestamptz '2024-01-01 00:00:00+00', null),                                  -- 6 whole months observed
  ('s4', 4, 'A', 10, timestamptz '2024-01-15 00:00:00+00', timestamptz '2024-01-20 00:00:00+00'), -- in its 1st month
  ('s5', 5, 'B', 20, timestamptz '2024-02-10 00:00:00+00', timestamptz '2024-05-10 00:00:00+00'), -- at the 3rd renewal
  ('s6', 6, 'B', 20, timestamptz '2024-03-01 00:00:00+00', null),                                  -- 4 whole months
  ('s7', 7, 'B', 20, timestamptz '2024-06-20 00:00:00+00', null),                                  -- not a month yet
  ('s8', 8, 'B', 20, timestamptz '2024-01-10 00:00:00+00', timestamptz '2024-08-01 00:00:00+00'), -- cancelled after as-of: 5 months, active
  ('s9', 9, 'B', 20, timestamptz '2024-07-05 00:00:00+00', null)                                   -- starts after as-of: ignored`;

describe('churn run on a hand-worked subscription fixture (as of 2024-06-30)', () => {
  it('writes Kaplan–Meier curves by all / plan / cohort and monthly churn rates', async () => {
    await withWarehouse(async (wh) => {
      await wh.run(fixture);
      const r = await runChurn(wh, { asOf: '2024-06-30' });
      expect(r.subscriptions).toBe(8);
      const km = await wh.all<Record<string, any>>(
        "select month, at_risk, churned, censored, survival, std_error from churn_survival where method = 'kaplan_meier' and group_type = 'all' order by month",
      );
      expect(km.map((p) => [p.month, p.at_risk, p.churned, p.censored])).toEqual([
        [0, 8, 0, 1],
        [1, 7, 2, 0],
        [2, 5, 0, 0],
        [3, 5, 2, 0],
        [4, 3, 0, 1],
        [5, 2, 0, 1],
        [6, 1, 0, 1],
      ]);
      expect(km[3].survival).toBeCloseTo(3 / 7, 12);
      expect(km[3].std_error).toBeCloseTo((3 / 7) * Math.sqrt(2 / 35 + 2 / 15), 12);
      const planA = await wh.all<{ month: number; survival: number }>(
        "select month, survival from churn_survival where method = 'kaplan_meier' and group_type = 'plan' and group_value = 'A' order by month",
      );
      // A: s1 and s4 churn in month 1 (of 4), s2 in month 3 (of 2 at risk), s3 survives
      expect(planA.map((p) => Number(p.survival.toFixed(6)))).toEqual([1, 0.5, 0.5, 0.25, 0.25, 0.25, 0.25]);
      const cohorts = await wh.all<{ group_value: string }>("select distinct group_value from churn_survival where group_type = 'cohort' order by 1");
      expect(cohorts.map((c) => c.group_value)).toEqual(['2024-01', '2024-02', '2024-03', '2024-06']);

      const monthly = await wh.all<Record<string, any>>("select * from churn_monthly where plan = '(all)' order by month");
      expect(monthly.map((m) => [m.month, m.active_start, m.new_subscriptions, m.churned, m.active_end])).toEqual([
        ['2024-01-01', 0, 5, 0, 4],
        ['2024-02-01', 4, 1, 1, 4],
        ['2024-03-01', 4, 1, 1, 4],
        ['2024-04-01', 4, 0, 0, 4],
        ['2024-05-01', 4, 0, 1, 3],
        ['2024-06-01', 3, 1, 0, 4],
      ]);
      expect(monthly[0].churn_rate).toBeNull();
      expect(monthly[1]).toMatchObject({ churn_rate: 0.25, mrr_start: 50, mrr_churned: 10, mrr_churn_rate: 0.2 });
      const feb = await wh.all<Record<string, any>>("select plan, active_start, churned from churn_monthly where month = '2024-02-01' order by plan");
      expect(feb).toEqual([
        { plan: '(all)', active_start: 4, churned: 1 },
        { plan: 'A', active_start: 3, churned: 1 },
        { plan: 'B', active_start: 1, churned: 0 },
      ]);
      // sBG fits overall and per plan, recorded with lifetime summaries
      const fits = await wh.all<{ group_key: string; derived: string }>("select group_key, derived from model_fits where run_id = $id order by group_key", { id: r.runId });
      expect(fits.map((f) => f.group_key)).toEqual(['(all)', 'plan=A', 'plan=B']);
      const [run] = await wh.all<{ model: string; as_of_date: string; n_customers: number }>('select model, as_of_date, n_customers from model_runs where run_id = $id', { id: r.runId });
      expect(run).toEqual({ model: 'churn', as_of_date: '2024-06-30', n_customers: 8 });
    });
  });

  it('recovers sBG parameters from simulated monthly renewals', async () => {
    await withWarehouse(async (wh, dir) => {
      // 6,000 subscriptions started over 24 months, θ ~ Beta(1.1, 8), one renewal a month, observed to 2025-12-31
      const u = rng(11);
      const rows: string[] = [];
      for (let i = 0; i < 6000; i++) {
        const g1 = gamma(u, 1.1, 1);
        const theta = g1 / (g1 + gamma(u, 8, 1));
        const start = new Date(Date.UTC(2024, Math.floor(u() * 24), 1 + Math.floor(u() * 28)));
        let m = 1;
        while (u() >= theta && m < 400) m++;
        const cancel = new Date(start);
        cancel.setUTCMonth(cancel.getUTCMonth() + m);
        rows.push(`s${i},${i},${i % 2 ? 'Basic' : 'Pro'},${i % 2 ? 19 : 79},${start.toISOString()},${cancel < new Date('2026-01-01T00:00:00Z') ? cancel.toISOString() : ''}`);
      }
      const { writeFileSync } = await import('node:fs');
      writeFileSync(`${dir}/subs.csv`, `id,customer,plan,mrr,started,cancelled\n${rows.join('\n')}\n`);
      await wh.run(
        `insert into subscriptions (subscription_id, customer_id, plan, mrr, started_at, cancelled_at)
         select id, customer, plan, mrr, started, cancelled from read_csv($f, header = true,
           columns = {'id': 'VARCHAR', 'customer': 'BIGINT', 'plan': 'VARCHAR', 'mrr': 'DECIMAL(18,2)', 'started': 'TIMESTAMPTZ', 'cancelled': 'TIMESTAMPTZ'})`,
        { f: `${dir}/subs.csv` },
      );
      const r = await runChurn(wh, { asOf: '2025-12-31' });
      const all = r.fits.find((f) => f.groupType === 'all')!.fit!;
      expect(all.converged).toBe(true);
      expect(Math.abs(all.params.alpha - 1.1) / all.stdErrors.alpha!).toBeLessThan(3);
      expect(Math.abs(all.params.beta - 8) / all.stdErrors.beta!).toBeLessThan(3);
      // the sBG curve and the Kaplan–Meier estimate agree on the first year
      const [{ diff }] = await wh.all<{ diff: number }>(
        `select max(abs(k.survival - s.survival)) as diff from churn_survival k
         join churn_survival s on s.method = 'sbg' and s.group_type = 'all' and s.month = k.month
         where k.method = 'kaplan_meier' and k.group_type = 'all' and k.month between 1 and 12`,
      );
      expect(diff).toBeLessThan(0.02);
    });
  });

  it('fails clearly without subscriptions, and records the failed run', async () => {
    await withWarehouse(async (wh) => {
      const error = await runChurn(wh, {}).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AppError);
      expect((error as AppError).message).toMatch(/no subscriptions/);
      const [run] = await wh.all<{ status: string }>('select status from model_runs');
      expect(run.status).toBe('failed');
    });
  });

  it('reports a group without churn instead of fitting it', async () => {
    await withWarehouse(async (wh) => {
      await wh.run(`insert into subscriptions (subscription_id, customer_id, plan, mrr, started_at, cancelled_at) values
        ('a', 1, 'A', 10, timestamptz '2024-01-01 00:00:00+00', null), ('b', 2, 'B', 10, timestamptz '2024-01-01 00:00:00+00', timestamptz '2024-03-01 00:00:00+00')`);
      const r = await runChurn(wh, { asOf: '2024-06-30' });
      expect(r.warnings.join('\n')).toMatch(/sBG not fitted for plan A: no subscription has churned/);
      const [{ n }] = await wh.all<{ n: number }>("select count(*) as n from churn_survival where method = 'kaplan_meier' and group_value = 'A'");
      expect(n).toBeGreaterThan(0);
    });
  });
});
