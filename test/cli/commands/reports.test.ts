import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Warehouse } from '../../../src/warehouse/index.ts';
import { tempDir } from '../../helpers.ts';
import { seedReportsFixture } from '../../models/reports/fixture.ts';
import { crm } from '../run-crm.ts';

/**
 * `crm report`, `crm funnel` and `crm forecast` end to end (in-process) on the hand-made CRM of the report
 * tests (test/models/reports/fixture.ts), and a straight-line revenue history for the revenue forecast.
 * Each figure is worked out by hand in the comments.
 */
let db: string;
let cleanup: () => void;

beforeAll(async () => {
  const t = tempDir();
  cleanup = t.cleanup;
  db = join(t.dir, 'crm.duckdb');
  const wh = await Warehouse.open(db);
  try {
    await seedReportsFixture(wh);
  } finally {
    await wh.close();
  }
});
afterAll(() => cleanup());

const json = (s: string) => JSON.parse(s) as { columns: { name: string }[]; rows: Record<string, unknown>[]; meta: Record<string, unknown> };

describe('crm report', () => {
  it('lists the reports with their group-bys', async () => {
    const r = await crm(db, 'report', '--list', '--format', 'json');
    expect(r.code).toBe(0);
    const reports = JSON.parse(r.out) as { name: string; groupBys: string[] }[];
    const names = reports.map((x) => x.name);
    for (const n of ['sales', 'rep-performance', 'quota-attainment', 'campaign-effectiveness', 'customer-profitability', 'service', 'contact-stats', 'customer-timeline', 'funnel', 'marketing-funnel', 'pipeline-forecast', 'revenue-forecast', 'forecast-accuracy'])
      expect(names).toContain(n);
    expect(reports.find((x) => x.name === 'sales')!.groupBys).toEqual(expect.arrayContaining(['product', 'category', 'region', 'rep']));
    const table = await crm(db, 'report', '--list');
    expect(table.out).toMatch(/^report\s+description/m);
    expect(table.out).toMatch(/^sales\s/m);
  });

  it('prints a grid as table, csv and json with the same hand-worked numbers', async () => {
    // Q1 2024 completed orders (the fixture's note): APAC o4 200; EMEA o1 100 + o2 60 + o3 40 + o8 10 = 210; total 410.
    const args = ['report', 'sales', '--from', '2024-01-01', '--to', '2024-03-31', '--by', 'none', '--group-by', 'region', '--measures', 'orders,revenue'];
    const j = await crm(db, ...args, '--format', 'json');
    expect(j.code).toBe(0);
    expect(json(j.out).rows).toEqual([
      { row_type: 'detail', region: 'APAC', orders: 1, revenue: 200 },
      { row_type: 'detail', region: 'EMEA', orders: 4, revenue: 210 },
      { row_type: 'total', region: null, orders: 5, revenue: 410 },
    ]);
    expect(json(j.out).meta).toMatchObject({ report: 'sales', params: { from: '2024-01-01', to: '2024-03-31', by: 'none', groupBy: ['region'] } });

    const csv = await crm(db, ...args, '--format', 'csv');
    expect(csv.code).toBe(0);
    expect(csv.out.trim().split('\n')).toEqual(['row_type,region,orders,revenue', 'detail,APAC,1,200', 'detail,EMEA,4,210', 'total,,5,410']);

    const table = await crm(db, ...args);
    expect(table.out).toMatch(/^detail\s+EMEA\s+4\s+210\s*$/m);
    expect(table.out).toMatch(/^total\s+5\s+410\s*$/m);
  });

  it('filters, buckets by quarter and leaves totals out', async () => {
    // EMEA by quarter × rep: Ann o1 + o2 = 160 (2 orders), Bob o3 + o8 = 50 (2 orders).
    const r = await crm(db, 'report', 'sales', '--from', '2024-01-01', '--to', '2024-03-31', '--by', 'quarter', '--group-by', 'rep', '--filter', 'region=EMEA', '--no-totals', '--measures', 'orders,revenue', '--format', 'json');
    expect(r.code).toBe(0);
    expect(json(r.out).rows).toEqual([
      { row_type: 'detail', period: '2024-01-01', rep: 'Ann', orders: 2, revenue: 160 },
      { row_type: 'detail', period: '2024-01-01', rep: 'Bob', orders: 2, revenue: 50 },
    ]);
  });

  it('passes report parameters with --param (customer timeline)', async () => {
    // Customer 3 in Q1 2024, orders and tickets only, newest first: o6 cancelled (25 Mar), o4 (20 Mar), k3 first
    // response (3 Mar 04:00) and opened (00:00), k2 resolved (2 Mar 10:00), first response (01:00), opened (00:00).
    const r = await crm(db, 'report', 'customer-timeline', '--param', 'customer_id=3', '--param', 'kinds=order,ticket', '--from', '2024-01-01', '--to', '2024-03-31', '--format', 'json');
    expect(r.code).toBe(0);
    expect(json(r.out).rows.map((x) => [x.kind, x.event, x.ref_id])).toEqual([
      ['order', 'cancelled', 'o6'],
      ['order', 'completed', 'o4'],
      ['ticket', 'first response', 'k3'],
      ['ticket', 'opened', 'k3'],
      ['ticket', 'resolved', 'k2'],
      ['ticket', 'first response', 'k2'],
      ['ticket', 'opened', 'k2'],
    ]);
    const missing = await crm(db, 'report', 'customer-timeline', '--param', 'customer_id=999');
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/customer 999 not found/);
  });

  it('rejects bad input with one line naming what is valid, exit code 2', async () => {
    const groupBy = await crm(db, 'report', 'sales', '--group-by', 'regoin');
    expect(groupBy.code).toBe(2);
    expect(groupBy.err).toMatch(/^error: report sales: groupBy: unknown group-by 'regoin'; valid: .*region.*rep/);
    expect(groupBy.out).toBe('');
    const three = await crm(db, 'report', 'sales', '--group-by', 'region,rep,team');
    expect(three.code).toBe(2);
    expect(three.err).toMatch(/at most two group-bys/);
    const date = await crm(db, 'report', 'sales', '--from', '2024-02-30');
    expect(date.code).toBe(2);
    expect(date.err).toMatch(/from: expected a date/);
    const format = await crm(db, 'report', 'sales', '--format', 'xml');
    expect(format.code).toBe(2);
    expect(format.err).toMatch(/--format must be table, csv or json/);
    const unknown = await crm(db, 'report', 'nope');
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/unknown report 'nope'; reports: .*sales/);
    const filter = await crm(db, 'report', 'sales', '--filter', 'region');
    expect(filter.code).toBe(2);
    expect(filter.err).toMatch(/--filter expects key=value/);
  });
});

describe('crm funnel', () => {
  it('prints the deal stage funnel of a history-less export with its assumptions, saves drop-offs and lists them', async () => {
    // Deals created in Q1 2024 (D3 is from 2023): D1, D5, D6 won; D2 lost ('Closed Lost': stage unknown → first
    // stage, reason price); D4 open in Qualification. No stage history, so paths come from the demo stage order.
    // Prospecting: reached 5, advanced 4, won 3, lost 1. Qualification: reached 4, advanced 3, open 1. Then 3 … 3.
    const r = await crm(db, 'funnel', '--from', '2024-01-01', '--to', '2024-03-31', '--format', 'json');
    expect(r.code).toBe(0);
    const f = json(r.out);
    expect(f.rows.map((x) => [x.stage, x.reached, x.advanced, x.won, x.lost_here, x.open_here, x.conversion_to_next])).toEqual([
      ['Prospecting', 5, 4, 3, 1, 0, 0.8],
      ['Qualification', 4, 3, 3, 0, 1, 0.75],
      ['Needs Analysis', 3, 3, 3, 0, 0, 1],
      ['Proposal/Price Quote', 3, 3, 3, 0, 0, 1],
      ['Negotiation/Review', 3, 3, 3, 0, 0, 1],
      ['won', 3, null, 3, 0, 0, null],
    ]);
    expect(f.meta.assumptions).toEqual([
      expect.stringMatching(/^5 of 5 deals have no stage history\. 4 of them are assumed to have passed through every stage/),
      expect.stringMatching(/^1 lost deal has no stage history and a closing-lost stage/),
    ]);

    const table = await crm(db, 'funnel', '--from', '2024-01-01', '--to', '2024-03-31');
    expect(table.out).toMatch(/assumption: 5 of 5 deals have no stage history/);

    const lost = await crm(db, 'funnel', '--from', '2024-01-01', '--to', '2024-03-31', '--lost-reasons', '--format', 'json');
    expect(json(lost.out).rows.map((x) => [x.stage, x.lost_reason, x.deals, x.amount])).toEqual([['Prospecting', 'price', 1, 400]]);

    const saved = await crm(db, 'funnel', '--from', '2024-01-01', '--to', '2024-03-31', '--save', '--format', 'csv');
    expect(saved.code).toBe(0);
    const runId = Number(/select customer_id from funnel_dropoffs where run_id = (\d+)/.exec(saved.err)?.[1]);
    expect(runId).toBeGreaterThan(0);
    const drops = await crm(db, 'funnel', 'dropoffs', '--run', String(runId), '--format', 'json');
    expect(JSON.parse(drops.out)).toEqual([expect.objectContaining({ step: 'Prospecting', step_index: 1, customer_id: 2, deal_id: 'D2', reason: 'price' })]);
    const badRun = await crm(db, 'funnel', 'dropoffs', '--run', 'x');
    expect(badRun.code).toBe(2);
    const badBy = await crm(db, 'funnel', '--by', 'colour');
    expect(badBy.code).toBe(2);
    expect(badBy.err).toMatch(/unknown breakdown 'colour'; valid: rep/);
  });

  it('prints the marketing funnel with windows and order', async () => {
    // C1's touches sent 1 Jan 2024 to customers 1, 2, 3 (T4 was sent in 2023): opened T1 (1 day) and T2 (2 days);
    // clicked T2 (1 hour after opening). Steps sent → opened → clicked: 3, 2, 1.
    const r = await crm(db, 'funnel', 'marketing', '--from', '2024-01-01', '--to', '2024-03-31', '--steps', 'sent,opened,clicked', '--windows', '7d', '--format', 'json');
    expect(r.code).toBe(0);
    expect(json(r.out).rows.map((x) => [x.step, x.reached, x.dropped])).toEqual([
      ['sent', 3, null],
      ['opened', 2, 1],
      ['clicked', 1, 1],
    ]);
    // A one-day window: T2 opened after 48 hours, so only T1 counts as opened, and T2's click no longer follows an open.
    const narrow = await crm(db, 'funnel', 'marketing', '--from', '2024-01-01', '--to', '2024-03-31', '--steps', 'sent,opened,clicked', '--windows', '1d', '--format', 'json');
    expect(json(narrow.out).rows.map((x) => x.reached)).toEqual([3, 1, 0]);
    const bad = await crm(db, 'funnel', 'marketing', '--windows', '7 days');
    expect(bad.code).toBe(2);
  });
});

describe('crm forecast', () => {
  const asOf = '2026-11-10';
  let lineDb: string;
  let lineCleanup: () => void;
  beforeAll(async () => {
    // Revenue history: one completed order of 1000 + 10 t on the 15th of month t, May 2024 (t = 0) … October 2026
    // (t = 29) — an exact straight line (its own warehouse: the fixture's Q1 2024 orders would bend it).
    const t = tempDir();
    lineCleanup = t.cleanup;
    lineDb = join(t.dir, 'line.duckdb');
    const wh = await Warehouse.open(lineDb);
    try {
      await wh.run(`insert into customers (customer_id) values (1)`);
      await wh.run(`insert into orders (order_id, customer_id, ordered_at, status, total_amount, item_count)
        select 'line-' || t, 1, timestamptz '2024-05-15 12:00:00+00' + to_months(cast(t as integer)), 'completed', 1000 + 10 * t, 1
        from range(30) as r(t)`);
    } finally {
      await wh.close();
    }
  });
  afterAll(() => lineCleanup());

  it('forecasts revenue by the backtested method, shows the backtest, and stores the run unless --no-save', async () => {
    // 1000 + 10 t → November (t = 30) 1300, December 1310.
    const r = await crm(lineDb, 'forecast', '--as-of', asOf, '--sources', 'orders', '--horizon', '2', '--format', 'json');
    expect(r.code).toBe(0);
    const rows = json(r.out).rows.filter((x) => x.kind === 'forecast');
    expect(rows.map((x) => x.period)).toEqual(['2026-11-01', '2026-12-01']);
    expect(rows[0].forecast as number).toBeCloseTo(1300, 0);
    expect(rows[1].forecast as number).toBeCloseTo(1310, 0);
    expect(r.err).toMatch(/run \d+/);

    const table = await crm(lineDb, 'forecast', '--as-of', asOf, '--sources', 'orders', '--horizon', '2', '--no-save');
    expect(table.code).toBe(0);
    expect(table.out).toMatch(/Backtest \(rolling origin\):/);
    // A straight line: drift is exact one step ahead and beyond — MAPE 0, accuracy 1.
    expect(table.out).toMatch(/^drift\s/m);

    const wh = await Warehouse.open(lineDb);
    try {
      const runs = await wh.all<{ as_of: string; horizon: number }>(`select as_of, horizon from forecast_runs`);
      expect(runs).toEqual([{ as_of: asOf, horizon: 2 }]); // the --no-save run was not stored
      const snaps = await wh.all<{ period: string }>(`select period from forecast_snapshots order by period`);
      expect(snaps.map((s) => s.period)).toEqual(['2026-11-01', '2026-12-01']);
      const bt = await wh.all<{ mape: number; accuracy: number }>(`select mape, accuracy from forecast_backtest where method = 'drift'`);
      expect(bt).toEqual([{ mape: 0, accuracy: 1 }]);
    } finally {
      await wh.close();
    }

    const accuracy = await crm(lineDb, 'forecast', 'accuracy', '--format', 'json');
    expect(accuracy.code).toBe(0); // no forecast month is over yet: no rows, still a valid answer
    expect(json(accuracy.out).rows).toEqual([]);

    const bad = await crm(lineDb, 'forecast', '--method', 'crystal_ball', '--no-save');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/method/);
  });

  it('prints the weighted pipeline as of a date, with thresholds, and quota attainment', async () => {
    // As of 2024-03-20 the closed deals are D1 won, D2 lost (stage unknown → lost at Prospecting), D3 won, D5 won:
    // base rate (3 + 1) / (4 + 2) = 0.6667; Qualification: 3 of 3 won → (3 + 10 × 0.6667) / (3 + 10) = 0.7436.
    // Open: D4 300 in Qualification (expected 15 Mar) → commit (≥ 0.7), weighted 223.08; closed since 1 March: D5 2000.
    const args = ['forecast', 'pipeline', '--as-of', '2024-03-20', '--from', '2024-03-01', '--to', '2024-03-31', '--by', 'none', '--group-by', '', '--format', 'json'];
    const p = await crm(db, ...args);
    expect(p.code).toBe(0);
    expect(json(p.out).rows).toEqual([
      expect.objectContaining({ row_type: 'total', deals: 2, amount: 2300, closed: 2000, commit: 300, best_case: 0, commit_forecast: 2300, weighted: 2223.08 }),
    ]);
    // With commit from 0.8, D4 (0.7436) is best case.
    const strict = await crm(db, ...args, '--commit-threshold', '0.8');
    expect(json(strict.out).rows[0]).toMatchObject({ commit: 0, best_case: 300, commit_forecast: 2000, best_case_forecast: 2300 });
    const badThreshold = await crm(db, ...args, '--commit-threshold', '0.3');
    expect(badThreshold.code).toBe(2);
    expect(badThreshold.err).toMatch(/bestCaseThreshold: must not exceed commitThreshold/);

    // Quota Q1 2024: Ann 9100 over the quarter, but January's month quota (2000) is finer and replaces January's
    // 31 × 100 → 2000 + (29 + 31) × 100 = 8000; won by Ann in Q1: D1 1000 (D6 closed in April) → 0.125.
    const q = await crm(db, 'forecast', 'quota', '--from', '2024-01-01', '--to', '2024-03-31', '--by', 'quarter', '--group-by', 'rep', '--format', 'json');
    expect(q.code).toBe(0);
    expect(json(q.out).rows.find((x) => x.row_type === 'detail' && x.rep === 'Ann')).toMatchObject({ quota: 8000, won_amount: 1000, attainment: 0.125, gap: 7000 });
  });
});
