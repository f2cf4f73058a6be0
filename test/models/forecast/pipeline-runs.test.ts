import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { smoothWinRates } from '../../../src/models/forecast/pipeline.ts';
import { revenueSeries } from '../../../src/models/forecast/revenue.ts';
import { saveForecastRun } from '../../../src/models/forecast/runs.ts';
import { runReport } from '../../../src/models/reports/index.ts';
import type { ReportRow } from '../../../src/models/reports/types.ts';
import { Warehouse } from '../../../src/warehouse/index.ts';
import { tempDir } from '../../helpers.ts';

const pick = (rows: ReportRow[], keys: string[]) => rows.map((r) => Object.fromEntries(keys.map((k) => [k, r[k]])));

describe('smoothed stage win rates', () => {
  it('shrinks stage rates towards the pipeline rate and team rates towards the stage rate (by hand)', () => {
    const stages = [1, 2, 3].map((idx) => ({ pipeline: 'p', stage: `s${idx}`, idx }));
    const counts = [
      { pipeline: 'p', team: 'A', stage_idx: 1, stage: 's1', closed: 6, won: 1 },
      { pipeline: 'p', team: 'B', stage_idx: 1, stage: 's1', closed: 4, won: 1 },
      { pipeline: 'p', team: 'A', stage_idx: 2, stage: 's2', closed: 4, won: 2 },
    ];
    const { rates, base } = smoothWinRates(counts, stages, 10, true);
    // Base: 2 won of 10 closed → (2 + 1) / (10 + 2) = 0.25. s1: (2 + 10 × 0.25) / (10 + 10) = 0.225.
    // s2: (2 + 2.5) / (4 + 10) = 0.3214; s3 (no closed deal reached it): the prior, 0.25.
    // Team A at s1: (1 + 10 × 0.225) / (6 + 10) = 0.203125; team B: (1 + 2.25) / 14 = 0.232143. Team A at s2: (2 + 3.2143) / 14.
    expect(base).toEqual([{ pipeline: 'p', closed: 10, won: 2, probability: 0.25 }]);
    const p = (team: string | null, idx: number) => rates.find((r) => r.team === team && r.stage_idx === idx)!.probability;
    expect(p(null, 1)).toBeCloseTo(0.225, 12);
    expect(p(null, 2)).toBeCloseTo(4.5 / 14, 12);
    expect(p(null, 3)).toBeCloseTo(0.25, 12);
    expect(p('A', 1)).toBeCloseTo(0.203125, 12);
    expect(p('B', 1)).toBeCloseTo(3.25 / 14, 12);
    expect(p('A', 2)).toBeCloseTo((2 + 10 * (4.5 / 14)) / 14, 12);
    expect(rates.find((r) => r.team === null && r.stage_idx === 2)!.raw_rate).toBe(0.5);
  });
});

let wh: Warehouse;
let cleanup: () => void;

/**
 * Pipeline New Business (the default stage order: Prospecting, Qualification, Needs Analysis,
 * Proposal/Price Quote, Negotiation/Review), no stage history. As of 2026-11-23:
 * closed: W1, W2 (won in June), W3 (won 5 Nov, in the as-of month), L1 (lost, stage Closed Lost → first stage),
 * L2 (lost with its stage kept at Needs Analysis). Reached: stage 1 all 5 (3 won); stages 2–3 W1 W2 W3 L2 (4, 3 won);
 * stages 4–5 W1 W2 W3 (3, 3 won). With 2 pseudo-deals: base (3 + 1) / (5 + 2) = 4/7;
 * p1 = (3 + 8/7) / 7 = 0.591837; p2 = p3 = (3 + 8/7) / 6 = 0.690476; p4 = p5 = (3 + 8/7) / 5 = 0.828571.
 * Open: O1 Prospecting 1000 (Dec) → best case; O2 Negotiation 2000 (Nov) → commit; O3 Qualification 500, expected in
 * September (overdue → Nov) → best case (0.69 < 0.7); O4 Needs Analysis 800 (Jan) with its own category pipeline;
 * O5 in an unknown stage, 100, no date → the pipeline's overall 4/7; O6 Prospecting 300 (Dec), category omitted → weighs 0.
 */
beforeAll(async () => {
  const t = tempDir();
  cleanup = t.cleanup;
  wh = await Warehouse.open(`${t.dir}/p.duckdb`);
  await wh.run(`insert into employees (employee_id, name, team) values ('E1', 'Ann', 'North'), ('E2', 'Bob', 'South')`);
  await wh.run(`insert into deals (deal_id, customer_id, pipeline, stage, status, amount, owner_id, created_at, closed_at, expected_close_date, forecast_category) values
    ('W1', 1, 'New Business', 'Closed Won', 'won', 900, 'E1', '2026-01-05', '2026-06-10', null, null),
    ('W2', 2, 'New Business', 'Closed Won', 'won', 900, 'E2', '2026-01-05', '2026-06-20', null, null),
    ('W3', 3, 'New Business', 'Closed Won', 'won', 700, 'E1', '2026-03-05', '2026-11-05', null, null),
    ('L1', 4, 'New Business', 'Closed Lost', 'lost', 900, 'E2', '2026-02-05', '2026-05-10', null, null),
    ('L2', 5, 'New Business', 'Needs Analysis', 'lost', 900, 'E2', '2026-02-05', '2026-05-20', null, null),
    ('O1', 6, 'New Business', 'Prospecting', 'open', 1000, 'E1', '2026-10-01', null, '2026-12-10', null),
    ('O2', 7, 'New Business', 'Negotiation/Review', 'open', 2000, 'E1', '2026-08-01', null, '2026-11-30', null),
    ('O3', 8, 'New Business', 'Qualification', 'open', 500, 'E2', '2026-07-01', null, '2026-09-30', null),
    ('O4', 9, 'New Business', 'Needs Analysis', 'open', 800, 'E2', '2026-09-01', null, '2027-01-15', 'pipeline'),
    ('O5', 10, 'New Business', 'Mystery', 'open', 100, 'E2', '2026-09-01', null, null, null),
    ('O6', 11, 'New Business', 'Prospecting', 'open', 300, 'E1', '2026-10-01', null, '2026-12-01', 'omitted')`);
  // Monthly revenue: one completed order on the 1st of each month, May 2024 … October 2026 (30 months), value 1000 + 10 t.
  await wh.run(`insert into orders (order_id, customer_id, ordered_at, status, total_amount)
    select 'm' || t, 1, timestamptz '2024-05-01 12:00:00+00' + to_months(t), 'completed', 1000 + 10 * t from range(0, 30) as r(t)`);
  // A deal won on 20 April 2024 (outside the 24-month lookback of the win rates): April is a partial first month.
  await wh.run(`insert into deals (deal_id, customer_id, pipeline, stage, status, amount, created_at, closed_at) values
    ('W0', 12, 'New Business', 'Closed Won', 'won', 100, '2024-04-01', '2024-04-20')`);
});
afterAll(async () => {
  await wh.close();
  cleanup();
});

const asOf = '2026-11-23';

describe('weighted pipeline', () => {
  it('learns stage probabilities from closed deals', async () => {
    const r = await runReport(wh, 'win-rates', { asOf, priorStrength: 2 });
    expect(pick(r.rows, ['stage', 'closed_deals', 'won_deals', 'raw_rate', 'probability'])).toEqual([
      { stage: '(all closed deals)', closed_deals: 5, won_deals: 3, raw_rate: 0.6, probability: 0.5714 },
      { stage: 'Prospecting', closed_deals: 5, won_deals: 3, raw_rate: 0.6, probability: 0.5918 },
      { stage: 'Qualification', closed_deals: 4, won_deals: 3, raw_rate: 0.75, probability: 0.6905 },
      { stage: 'Needs Analysis', closed_deals: 4, won_deals: 3, raw_rate: 0.75, probability: 0.6905 },
      { stage: 'Proposal/Price Quote', closed_deals: 3, won_deals: 3, raw_rate: 1, probability: 0.8286 },
      { stage: 'Negotiation/Review', closed_deals: 3, won_deals: 3, raw_rate: 1, probability: 0.8286 },
    ]);
  });

  it('sums categories and weighted amounts by expected close month', async () => {
    // Nov: W3 closed 700; O2 commit 2000 (× 0.828571 = 1657.14); O3 best case 500 (× 0.690476 = 345.24, overdue).
    // Dec: O1 best case 1000 (591.84); O6 omitted 300 (0). Jan: O4 pipeline 800 (552.38). No date: O5 best case 100 (57.14).
    const r = await runReport(wh, 'pipeline-forecast', { asOf, priorStrength: 2, from: '2026-11-01', to: '2027-01-31' });
    expect(pick(r.rows, ['row_type', 'period', 'deals', 'amount', 'closed', 'commit', 'best_case', 'pipeline', 'omitted', 'commit_forecast', 'best_case_forecast', 'weighted', 'overdue_deals'])).toEqual([
      { row_type: 'detail', period: '2026-11-01', deals: 3, amount: 3200, closed: 700, commit: 2000, best_case: 500, pipeline: 0, omitted: 0, commit_forecast: 2700, best_case_forecast: 3200, weighted: 2702.38, overdue_deals: 1 },
      { row_type: 'detail', period: '2026-12-01', deals: 2, amount: 1300, closed: 0, commit: 0, best_case: 1000, pipeline: 0, omitted: 300, commit_forecast: 0, best_case_forecast: 1000, weighted: 591.84, overdue_deals: 0 },
      { row_type: 'detail', period: '2027-01-01', deals: 1, amount: 800, closed: 0, commit: 0, best_case: 0, pipeline: 800, omitted: 0, commit_forecast: 0, best_case_forecast: 0, weighted: 552.38, overdue_deals: 0 },
      { row_type: 'detail', period: null, deals: 1, amount: 100, closed: 0, commit: 0, best_case: 100, pipeline: 0, omitted: 0, commit_forecast: 0, best_case_forecast: 100, weighted: 57.14, overdue_deals: 0 },
      { row_type: 'total', period: null, deals: 7, amount: 5400, closed: 700, commit: 2000, best_case: 1600, pipeline: 800, omitted: 300, commit_forecast: 2700, best_case_forecast: 4300, weighted: 3903.74, overdue_deals: 1 },
    ]);
    // Commit at 0.9, best case at 0.6: O2 (0.83) and O3 (0.69) are best case (2500); O1 (0.59), O5 (0.57) and O4 (its own) pipeline (1900).
    const strict = await runReport(wh, 'pipeline-forecast', { asOf, priorStrength: 2, from: '2026-11-01', to: '2027-01-31', by: 'none', groupBy: 'category', commitThreshold: 0.9, bestCaseThreshold: 0.6 });
    expect(pick(strict.rows, ['category', 'amount'])).toEqual([
      { category: 'closed', amount: 700 },
      { category: 'best_case', amount: 2500 },
      { category: 'pipeline', amount: 1900 },
      { category: 'omitted', amount: 300 },
      { category: null, amount: 5400 },
    ]);
    await expect(runReport(wh, 'pipeline-forecast', { commitThreshold: 0.3 })).rejects.toThrow(/bestCaseThreshold: must not exceed commitThreshold/);
  });
});

describe('forecast runs and accuracy', () => {
  it('builds the monthly revenue series from orders and won deals, zero-filled', async () => {
    const s = await revenueSeries(wh, { asOf, sources: ['orders', 'deals'] });
    // May 2024 … October 2026: April 2024 (data from the 20th: W0) is a partial first month and November
    // (the as-of month, with W3) is incomplete; both are left out.
    expect(s).toHaveLength(30);
    expect(s[0]).toEqual({ month: '2024-05-01', orders_revenue: 1000, deals_revenue: 0, revenue: 1000 });
    // June 2026 (t = 25): order 1250 + W1 900 + W2 900.
    expect(s.find((m) => m.month === '2026-06-01')).toEqual({ month: '2026-06-01', orders_revenue: 1250, deals_revenue: 1800, revenue: 3050 });
    const ordersOnly = await revenueSeries(wh, { asOf, sources: ['orders'] });
    expect(ordersOnly.at(-1)).toEqual({ month: '2026-10-01', orders_revenue: 1290, deals_revenue: 0, revenue: 1290 });
  });

  it('stores a run: method, backtest, one snapshot per month, win rates, weighted deals and the pipeline snapshot', async () => {
    // Orders only: an exact line 1000 + 10 t, which drift and regression forecast exactly.
    const run = await saveForecastRun(wh, { asOf, sources: 'orders', horizon: 3 }, { priorStrength: 2 });
    expect(run.revenue!.history).toHaveLength(30);
    expect(['drift', 'regression', 'holt_winters_additive']).toContain(run.method);
    const snaps = await wh.all<{ period: string; horizon: number; forecast: number }>('select period, horizon, forecast from forecast_snapshots where run_id = $r order by period', { r: run.runId });
    expect(snaps.map((s) => [s.period, s.horizon])).toEqual([['2026-11-01', 1], ['2026-12-01', 2], ['2027-01-01', 3]]);
    for (const [i, s] of snaps.entries()) expect(s.forecast).toBeCloseTo(1300 + 10 * i, 0);
    const [r] = await wh.all('select as_of, method, horizon, history_start, history_end from forecast_runs where run_id = $r', { r: run.runId });
    expect(r).toEqual({ as_of: asOf, method: run.method, horizon: 3, history_start: '2024-05-01', history_end: '2026-10-01' });
    const bt = await wh.all<{ method: string; chosen: boolean }>('select method, chosen from forecast_backtest where run_id = $r order by method', { r: run.runId });
    expect(bt).toHaveLength(5);
    expect(bt.filter((b) => b.chosen).map((b) => b.method)).toEqual([run.method]);
    const deals = await wh.all<{ deal_id: string; category: string; weighted_amount: number }>('select deal_id, category, weighted_amount from forecast_deals where run_id = $r order by deal_id', { r: run.runId });
    expect(deals.map((d) => [d.deal_id, d.category, d.weighted_amount])).toEqual([
      ['O1', 'best_case', 591.84], ['O2', 'commit', 1657.14], ['O3', 'best_case', 345.24], ['O4', 'pipeline', 552.38], ['O5', 'best_case', 57.14], ['O6', 'omitted', 0], ['W3', 'closed', 700],
    ]);
    const snap = await wh.all('select close_month, category, deals, amount from forecast_pipeline_snapshots where run_id = $r and close_month = $m order by category', { r: run.runId, m: '2026-11-01' });
    expect(snap).toEqual([
      { close_month: '2026-11-01', category: 'best_case', deals: 1, amount: 500 },
      { close_month: '2026-11-01', category: 'closed', deals: 1, amount: 700 },
      { close_month: '2026-11-01', category: 'commit', deals: 1, amount: 2000 },
    ]);
    const wr = await wh.all('select count(*) as n from forecast_win_rates where run_id = $r', { r: run.runId });
    expect(wr[0].n).toBe(5);
  });

  it('compares what a run forecast for a month with the actual (by hand)', async () => {
    // A run made on 2025-03-10 with orders only: July 2025 (t = 14) actually had 1140; forecast 1000 → error 140,
    // APE 140 / 1140 = 0.1228, accuracy 0.8772, outside 900–1100. August (t = 15) 1150 against 1200 → −50, 0.0435.
    await wh.run(`insert into forecast_runs values (900, '2025-03-10', now(), 'revenue', 'regression', 'fixed', 2, '2024-05-01', '2025-02-01',
      '{"revenue": {"sources": ["orders"]}}', 'hand-made')`);
    await wh.run(`insert into forecast_snapshots values
      (900, '2025-03-10', 'regression', '2025-07-01', 5, 1000, 900, 1100, 800, 1200),
      (900, '2025-03-10', 'regression', '2025-08-01', 6, 1200, 1100, 1300, 1000, 1400),
      (900, '2025-03-10', 'regression', '2099-01-01', 7, 5, 4, 6, 3, 7)`);
    const r = await runReport(wh, 'forecast-accuracy', { runId: 900 });
    expect(pick(r.rows, ['as_of', 'period', 'horizon', 'forecast', 'actual', 'error', 'ape', 'accuracy', 'in_80'])).toEqual([
      { as_of: '2025-03-10', period: '2025-07-01', horizon: 5, forecast: 1000, actual: 1140, error: 140, ape: 0.1228, accuracy: 0.8772, in_80: false },
      { as_of: '2025-03-10', period: '2025-08-01', horizon: 6, forecast: 1200, actual: 1150, error: -50, ape: 0.0435, accuracy: 0.9565, in_80: true },
    ]);
    expect(r.meta.notes.join(' ')).toMatch(/Over these 2 forecasts: MAPE 8\.3 %, accuracy 91\.7 %/);
    const h6 = await runReport(wh, 'forecast-accuracy', { horizon: 6 });
    expect(h6.rows.map((x) => x.period)).toEqual(['2025-08-01']);
  });

  it('compares pipeline snapshots with the deals won in the month', async () => {
    // Run 901 on 2026-05-01 expected for June 2026: commit 1000 (closed 0 + commit 1000), best case 1500, weighted 1200.
    // Won in June: W1 + W2 = 1800 → error 600, APE 600 / 1800 = 0.3333.
    await wh.run(`insert into forecast_pipeline_snapshots values
      (901, '2026-05-01', 'New Business', '2026-06-01', 'commit', 1, 1000, 800),
      (901, '2026-05-01', 'New Business', '2026-06-01', 'best_case', 1, 500, 400)`);
    const r = await runReport(wh, 'forecast-accuracy', { series: 'pipeline', runId: 901 });
    expect(pick(r.rows, ['period', 'commit_forecast', 'best_case_forecast', 'weighted', 'actual', 'error', 'ape'])).toEqual([
      { period: '2026-06-01', commit_forecast: 1000, best_case_forecast: 1500, weighted: 1200, actual: 1800, error: 600, ape: 0.3333 },
    ]);
  });

  it('reports the revenue forecast and the backtest', async () => {
    const f = await runReport(wh, 'revenue-forecast', { asOf, sources: 'orders', horizon: 2, showHistory: 3 });
    expect(pick(f.rows, ['period', 'kind', 'actual'])).toEqual([
      { period: '2026-08-01', kind: 'actual', actual: 1270 },
      { period: '2026-09-01', kind: 'actual', actual: 1280 },
      { period: '2026-10-01', kind: 'actual', actual: 1290 },
      { period: '2026-11-01', kind: 'forecast', actual: null },
      { period: '2026-12-01', kind: 'forecast', actual: null },
    ]);
    expect(f.rows[3].forecast).toBeCloseTo(1300, 0);
    const bt = await runReport(wh, 'forecast-backtest', { asOf, sources: 'orders' });
    expect(bt.rows.filter((x) => x.chosen)).toHaveLength(1);
    // A straight line: drift is exact one step ahead and beyond.
    expect(bt.rows.find((x) => x.method === 'drift')).toMatchObject({ mape: 0, accuracy: 1 });
  });
});
