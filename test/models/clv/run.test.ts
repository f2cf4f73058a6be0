import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runClv, type ClvRunResult } from '../../../src/models/clv/run.ts';
import { clvFitJson, describeClvRun } from '../../../src/cli/commands/clv.ts';
import { AppError } from '../../../src/errors.ts';
import { Warehouse } from '../../../src/warehouse/index.ts';
import { tempDir, withWarehouse } from '../../helpers.ts';
import { loadCdnowOrders } from './fixtures.ts';
import { loadSimulatedOrders, simulateOrders } from './simulate.ts';
import { reference } from './reference.ts';

const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

describe('clv run on CDNOW loaded into orders (SQL summary → fit → set-based scores)', () => {
  const tmp = tempDir();
  let wh: Warehouse;
  let validation: ClvRunResult;
  beforeAll(async () => {
    wh = await Warehouse.open(`${tmp.dir}/crm.duckdb`);
    await loadCdnowOrders(wh);
    validation = await runClv(wh, { calibrationEnd: '1997-09-30', holdoutEnd: '1998-06-30', unit: 'week' });
  });
  afterAll(async () => {
    await wh.close();
    tmp.cleanup();
  });

  it('fits the published BG/NBD and the lifetimes Gamma-Gamma on its own summary', () => {
    const { bgnbd, gammaGamma } = validation;
    expect(validation.status).toBe('succeeded');
    expect([bgnbd.params.r, bgnbd.params.alpha, bgnbd.params.a, bgnbd.params.b].map((v) => v.toFixed(3))).toEqual(['0.243', '4.414', '0.793', '2.426']);
    expect(bgnbd.logLikelihood.toFixed(1)).toBe('-9582.4');
    // z̄ unrounded here, so the spend fit is lifetimes' fit on its own summary (README: 6.249572, 3.744225, 15.443521)
    const ref = reference.gamma_gamma_on_lifetimes_summary_repeaters;
    expect(rel(gammaGamma!.params.p, ref.p)).toBeLessThan(1e-5);
    expect(rel(gammaGamma!.params.q, ref.q)).toBeLessThan(1e-5);
    expect(rel(gammaGamma!.params.gamma, ref['gamma_(lifetimes_v)'])).toBeLessThan(1e-5);
    expect([gammaGamma!.params.p.toFixed(2), gammaGamma!.params.q.toFixed(2), gammaGamma!.params.gamma.toFixed(2)]).toEqual(['6.25', '3.74', '15.44']);
  });

  it('reproduces the holdout table by calibration frequency (BTYD walkthrough)', () => {
    const table = validation.validation!.byFrequency;
    const ref = reference.holdout.conditional_expectation_by_calibration_frequency;
    expect(table.map((r) => r.frequency_bucket)).toEqual(['0', '1', '2', '3', '4', '5', '6', '7+']);
    table.forEach((r, i) => {
      expect(r.customers).toBe(ref[i].n);
      expect(r.actual_mean.toFixed(4)).toBe(ref[i].actual_mean.toFixed(4));
      expect(Math.abs(r.expected_mean - ref[i].expected_mean)).toBeLessThan(1e-4);
    });
    // README (BTYD): expected 0.2251, 0.5231, 1.0441, 1.5203, 2.1638, 2.6538, 3.5040, 6.1570 at the printed parameters
    expect(table[0].expected_mean.toFixed(4)).toBe('0.2251');
  });

  it('reproduces the validation totals and the weekly tracking curve', () => {
    const t = validation.validation!.totals;
    const h = reference.holdout;
    expect(t.holdout_actual).toBe(h.actual_repeat_transactions_distinct_customer_days);
    expect(t.calibration_actual).toBe(h.calibration_actual_repeat_transactions);
    expect(t.holdout_expected_conditional).toBeCloseTo(h.expected_sum_conditional_next_39_weeks, 2);
    expect(t.holdout_expected_unconditional).toBeCloseTo(h.expected_unconditional_weeks_40_78, 2);
    expect(t.calibration_expected_unconditional).toBeCloseTo(h.calibration_expected_unconditional, 2);
    const track = validation.validation!.tracking;
    expect(track).toHaveLength(78);
    expect(track.map((w) => w.actual_cumulative)).toEqual(h.cumulative_tracking_weekly.actual);
    track.forEach((w, i) => expect(Math.abs(w.expected_cumulative - h.cumulative_tracking_weekly.predicted[i])).toBeLessThan(0.005));
    // BTYD weeks 20–25: 1312.458, 1387.346, 1460.392, 1531.713, 1601.418, 1669.6
    [1312.458, 1387.346, 1460.392, 1531.713, 1601.418, 1669.6].forEach((v, i) => expect(Math.abs(track[19 + i].expected_cumulative - v)).toBeLessThan(0.02));
    expect(track[38]).toMatchObject({ week: 39, week_end: '1997-09-30', period: 'calibration', actual_cumulative: 2457 });
    expect(track[39].period).toBe('holdout');
    expect(t.tracking_end_actual).toBe(4339);
    expect(t.tracking_end_expected).toBeCloseTo(4165.69, 1);
  });

  it('records the run in model_runs, model_fits and the validation tables', async () => {
    const [run] = await wh.all<Record<string, any>>('select * from model_runs where run_id = $id', { id: validation.runId });
    expect(run).toMatchObject({ model: 'clv', status: 'succeeded', as_of_date: '1997-09-30', data_start: '1997-01-01', data_end: '1997-09-30', holdout_end: '1998-06-30', time_unit: 'week', n_customers: 2357, converged: true });
    expect(run.log_likelihood).toBeCloseTo(-9582.4256, 3);
    const params = JSON.parse(run.parameters);
    expect(params.bgnbd.r).toBeCloseTo(0.242593, 5);
    expect(params.gamma_gamma.p).toBeCloseTo(6.2496, 3);
    expect(JSON.parse(run.std_errors).bgnbd.alpha).toBeCloseTo(0.378221, 4);
    expect(JSON.parse(run.diagnostics).bgnbd.converged).toBe(true);
    const fits = await wh.all<{ submodel: string; n_observations: number }>('select submodel, n_observations from model_fits where run_id = $id order by submodel', { id: validation.runId });
    expect(fits).toEqual([
      { submodel: 'bgnbd', n_observations: 2357 },
      { submodel: 'gamma_gamma', n_observations: 946 },
    ]);
    const [{ n }] = await wh.all<{ n: number }>('select count(*) as n from clv_tracking where run_id = $id', { id: validation.runId });
    expect(n).toBe(78);
    const buckets = await wh.all<{ customers: number }>('select customers from clv_validation_frequency where run_id = $id order by bucket_order', { id: validation.runId });
    expect(buckets.map((b) => b.customers)).toEqual([1411, 439, 214, 100, 62, 38, 29, 64]);
  });

  it('does not overwrite current scores with a back-test unless asked', async () => {
    const [{ n }] = await wh.all<{ n: number }>('select count(*) as n from customer_value');
    expect(validation.saved).toBe(false);
    expect(n).toBe(0);
  });

  it('scores every customer in customer_value and churn_risk, matching lifetimes for IDs 1–10', async () => {
    const run = await runClv(wh, { calibrationEnd: '1997-09-30', unit: 'week' });
    expect(run.saved).toBe(true);
    const rows = await wh.all<Record<string, any>>('select * from customer_value order by customer_id');
    expect(rows).toHaveLength(2357);
    expect(rows.every((r) => r.run_id === run.runId && r.as_of_date === '1997-09-30' && r.horizon_months === 12)).toBe(true);
    for (const c of reference.customers_1_to_10) {
      const r = rows[c.id - 1];
      expect(r.customer_id).toBe(c.id);
      expect(r.frequency).toBe(c.frequency);
      expect(rel(r.p_alive, c.p_alive)).toBeLessThan(1e-4);
      // lifetimes' reference spend/CLV used z̄ rounded to cents (the paper file): within 3e-4 of ours
      expect(rel(r.expected_mean_spend, c.expected_avg_transaction_value)).toBeLessThan(3e-4);
      expect(rel(r.clv, c['clv_12_months_disc_0.01_per_month_freqW'])).toBeLessThan(3e-4);
    }
    // customer 6: high value, P(alive) 0.64 → at risk; one-time buyers from January → one_time
    expect(rows[5].churn_tier).toBe('at_risk');
    expect(rows[2].churn_tier).toBe('one_time');
    const tiers = await wh.all<{ tier: string; n: number }>('select tier, count(*) as n from churn_risk group by tier order by tier');
    expect(tiers.reduce((s, t) => s + t.n, 0)).toBe(2357);
    expect(tiers.find((t) => t.tier === 'one_time')?.n).toBe(1411);
    const [risk] = await wh.all<Record<string, any>>('select * from churn_risk where customer_id = 6');
    expect(risk).toMatchObject({ tier: 'at_risk', is_high_value: true, days_since_last_purchase: 66 });
    expect(risk.reason).toBe("P(alive) 64%; high value (revenue percentile 99); last purchase 66 days ago");
  });

  it('replaces scores on the next run and tracks the change of P(alive)', async () => {
    const run = await runClv(wh, { unit: 'day' });
    expect(run.asOfDate).toBe('1998-06-30');
    const [c1] = await wh.all<Record<string, any>>('select * from churn_risk where customer_id = 1');
    expect(c1.run_id).toBe(run.runId);
    expect(c1.p_alive_previous).toBeCloseTo(0.726609, 5);
    expect(c1.p_alive_change).toBeCloseTo(c1.p_alive - c1.p_alive_previous, 12);
    const [{ runs }] = await wh.all<{ runs: number }>('select count(distinct run_id) as runs from customer_value');
    expect(runs).toBe(1);
    // a customer whose P(alive) fell by 0.15 or more is never a champion or active, and the reason says so
    const falling = await wh.all<{ tier: string; reason: string; p_alive_change: number }>(
      "select tier, reason, p_alive_change from churn_risk where p_alive_change <= -0.15 and tier not in ('new', 'one_time')",
    );
    expect(falling.length).toBeGreaterThan(0);
    for (const f of falling) {
      expect(['at_risk', 'lost_high_value', 'slipping', 'lost']).toContain(f.tier);
      expect(f.reason).toContain(`down ${Math.round(-100 * f.p_alive_change)} points since the previous run`);
    }
  });
});

const insertOrders = (rows: [number, string, string, number][]) =>
  `insert into orders (order_id, customer_id, ordered_at, status, total_amount) values ${rows
    .map(([c, d, s, v], i) => `('o${i}', ${c}, timestamptz '${d}', '${s}', ${v})`)
    .join(', ')}`;
const day = (n: number) => new Date(Date.UTC(2024, 0, 1 + n)).toISOString().slice(0, 10);

async function expectModelError(wh: Warehouse, params: Parameters<typeof runClv>[1], message: RegExp) {
  const error = await runClv(wh, params).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  expect((error as AppError).message).toMatch(message);
  const [run] = await wh.all<{ status: string; error: string }>('select status, error from model_runs order by run_id desc limit 1');
  expect(run.status).toBe('failed');
  expect(run.error).toMatch(message);
  const [{ n }] = await wh.all<{ n: number }>('select count(*) as n from customer_value');
  expect(n).toBe(0);
}

describe('clv run on data it cannot fit: a clear diagnostic, a recorded run, nothing half-written', () => {
  it('all one-time buyers', async () => {
    await withWarehouse(async (wh) => {
      await wh.run(insertOrders(Array.from({ length: 50 }, (_, i) => [i + 1, day(i % 28), 'completed', 10] as [number, string, string, number])));
      await expectModelError(wh, { calibrationEnd: '2024-03-01' }, /no customer made a repeat purchase/);
    });
  });

  it('a single customer', async () => {
    await withWarehouse(async (wh) => {
      await wh.run(insertOrders([[1, day(0), 'completed', 10], [1, day(9), 'completed', 12], [1, day(30), 'completed', 8]]));
      await expectModelError(wh, {}, /only 1 customer/);
    });
  });

  it('orders all after the calibration end', async () => {
    await withWarehouse(async (wh) => {
      await wh.run(insertOrders([[1, '2024-05-01', 'completed', 10], [2, '2024-05-10', 'completed', 10]]));
      await expectModelError(wh, { calibrationEnd: '2024-03-01' }, /first completed purchase is on 2024-05-01/);
    });
  });

  it('only returns and negative totals', async () => {
    await withWarehouse(async (wh) => {
      await wh.run(insertOrders([[1, day(0), 'returned', -10], [2, day(1), 'completed', -5], [3, day(2), 'cancelled', 5]]));
      await expectModelError(wh, {}, /none of the 3 orders is a purchase .*: 2 have a negative total, 1 are cancelled or pending/);
    });
  });

  it('a flat likelihood (every customer identical): not converged, recorded, with what to try; scores untouched', async () => {
    await withWarehouse(async (wh) => {
      const rows: [number, string, string, number][] = [];
      for (let c = 1; c <= 100; c++) rows.push([c, day(0), 'completed', 10], [c, day(60), 'completed', 10]);
      await wh.run(insertOrders(rows));
      const r = await runClv(wh, { calibrationEnd: day(60) });
      expect(r.status).toBe('not_converged');
      const text = describeClvRun(r);
      expect(text).toMatch(/BG\/NBD — log-likelihood .* NOT CONVERGED/);
      expect(text).toMatch(/error: BG\/NBD did not converge: .*what to try/);
      expect(clvFitJson(r).bgnbd).toMatchObject({ converged: false });
      expect(r.bgnbd.converged).toBe(false);
      expect(r.error).toMatch(/did not converge.*what to try/);
      expect(r.saved).toBe(false);
      const [run] = await wh.all<{ status: string; converged: boolean; error: string; parameters: string }>('select status, converged, error, parameters from model_runs');
      expect(run).toMatchObject({ status: 'not_converged', converged: false });
      expect(run.error).toMatch(/--calibration-end/);
      // parameters are recorded (finite numbers or null), never NaN
      expect(run.parameters).not.toMatch(/NaN/);
      const [{ n }] = await wh.all<{ n: number }>('select count(*) as n from customer_value');
      expect(n).toBe(0);
    });
  });

  it('zero and negative values: negative totals are not purchases, returned orders and free orders are purchase days worth 0', async () => {
    await withWarehouse(async (wh, dir) => {
      const orders: { customer: number; day: number; value: number; status?: string }[] = simulateOrders({
        customers: 800,
        seed: 7,
        bgnbd: { r: 0.25, alpha: 4, a: 0.8, b: 2.5 },
        gammaGamma: { p: 6, q: 4, gamma: 15 },
        acquisitionDays: 90,
        observedDays: 365,
      });
      // every 5th customer has a returned order (no refund lines: worth 0) and a negative-total refund record,
      // every 7th gets a free order on day 200
      for (let c = 5; c <= 800; c += 5) orders.push({ customer: c, day: 150, value: 12.5, status: 'returned' }, { customer: c, day: 151, value: -3, status: 'completed' });
      for (let c = 7; c <= 800; c += 7) orders.push({ customer: c, day: 200, value: 0 });
      // a customer whose orders all fall after the calibration end: counted, not scored
      orders.push({ customer: 801, day: 400, value: 25 }, { customer: 801, day: 410, value: 30 });
      await loadSimulatedOrders(wh, dir, orders);
      const r = await runClv(wh, { calibrationEnd: '2024-12-30' });
      expect(r.status).toBe('succeeded');
      expect(r.checks.customers_after_window).toBe(1);
      expect(r.warnings.join('\n')).toMatch(/1 customers made their first purchase after 2024-12-30 and are not scored/);
      expect(r.checks.returned_orders).toBe(160);
      expect(r.checks.negative_total_orders).toBe(160);
      expect(r.checks.zero_value_orders).toBe(114);
      expect(r.warnings.join('\n')).toMatch(/160 returned orders count as purchases, valued net of their refunds/);
      expect(r.warnings.join('\n')).toMatch(/160 orders with a negative total \(refund records\) are not counted/);
      const [{ n, bad, spend_min }] = await wh.all<{ n: number; bad: number; spend_min: number }>(
        `select count(*) as n, count(*) filter (where not isfinite(clv) or clv < 0 or p_alive < 0 or p_alive > 1) as bad,
                min(expected_mean_spend) as spend_min from customer_value`,
      );
      expect(n).toBe(800);
      expect(bad).toBe(0);
      expect(spend_min).toBeGreaterThan(0);
      // customer 7's free order on day 200 is a purchase day: frequency includes it, its value lowers the mean
      const [c7] = await wh.all<{ frequency: number; last_purchase_date: string }>('select frequency, last_purchase_date from customer_value where customer_id = 7');
      expect(c7.last_purchase_date >= '2024-07-19').toBe(true);
    });
  });
});
