import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { marketingFunnel, parseWindow } from '../../../src/models/funnel/marketing-funnel.ts';
import { saveFunnelRun } from '../../../src/models/funnel/runs.ts';
import type { ReportRow } from '../../../src/models/reports/types.ts';
import { Warehouse } from '../../../src/warehouse/index.ts';
import { tempDir } from '../../helpers.ts';

const range = { from: '2024-01-01', to: '2024-01-31' };
const pick = (rows: ReportRow[], keys: string[]) => rows.map((r) => Object.fromEntries(keys.map((k) => [k, r[k]])));
const reached = (rows: ReportRow[]) => rows.map((r) => r.reached);

let wh: Warehouse;
let cleanup: () => void;

/**
 * Campaign C1 sends four touches on 1 Jan 00:00.
 * T1 (customer 1): opened 2 Jan, clicked 3 Jan; deal D1 (campaign C1) created 10 Jan, won 25 Jan; order 4 Jan.
 * T2 (customer 2): opened 2 Jan, clicked 20 Jan (17 days after the open).
 * T3 (customer 3): clicked 2 Jan without an open.
 * T4 (customer 4): opened 5 Jan, clicked 6 Jan; deal D4 (no campaign) created 4 Jan — before the click — won 1 Feb.
 * T9 (customer 1, campaign C2) was sent in 2023: out of range.
 */
beforeAll(async () => {
  const t = tempDir();
  cleanup = t.cleanup;
  wh = await Warehouse.open(`${t.dir}/m.duckdb`);
  await wh.run(`insert into campaigns (campaign_id, name, channel) values ('C1', 'Winter', 'email'), ('C2', 'Autumn', 'email')`);
  await wh.run(`insert into customers (customer_id, region) values (1, 'EMEA'), (2, 'EMEA'), (3, 'APAC'), (4, 'APAC')`);
  await wh.run(`insert into campaign_touches (touch_id, campaign_id, customer_id, channel, sent_at, opened_at, clicked_at) values
    ('T1', 'C1', 1, 'email', '2024-01-01', '2024-01-02', '2024-01-03'),
    ('T2', 'C1', 2, 'email', '2024-01-01', '2024-01-02', '2024-01-20'),
    ('T3', 'C1', 3, 'email', '2024-01-01', null, '2024-01-02'),
    ('T4', 'C1', 4, 'email', '2024-01-01', '2024-01-05', '2024-01-06'),
    ('T9', 'C2', 1, 'email', '2023-10-01', null, null)`);
  await wh.run(`insert into deals (deal_id, customer_id, pipeline, stage, status, created_at, closed_at, campaign_id) values
    ('D1', 1, 'sales', 'won', 'won', '2024-01-10', '2024-01-25', 'C1'),
    ('D4', 4, 'sales', 'won', 'won', '2024-01-04', '2024-02-01', null)`);
  await wh.run(`insert into orders (order_id, customer_id, ordered_at, status, total_amount) values ('o1', 1, '2024-01-04', 'completed', 10)`);
});
afterAll(async () => {
  await wh.close();
  cleanup();
});

describe('marketing funnel', () => {
  it('ordered: each step after the previous one and within its window of it', async () => {
    // Defaults: opened 7d, clicked 7d, deal 30d, won 180d. opened: T1 T2 T4. clicked: T1 (1 day after open), T4;
    // T2's click is 18 days after its open. deal after the click: T1 (D1, 7 days); T4's D4 came before its click.
    // won: D1, 15 days after creation. Median hours: opened T1 24, T2 24, T4 96 → 24; clicked T1 24, T4 24; deal 168; won 360.
    const f = await marketingFunnel(wh, range);
    expect(pick(f.rows, ['step_index', 'step', 'window', 'reached', 'dropped', 'conversion_from_previous', 'conversion_from_first', 'median_hours'])).toEqual([
      { step_index: 1, step: 'sent', window: null, reached: 4, dropped: null, conversion_from_previous: null, conversion_from_first: 1, median_hours: null },
      { step_index: 2, step: 'opened', window: '7d', reached: 3, dropped: 1, conversion_from_previous: 0.75, conversion_from_first: 0.75, median_hours: 24 },
      { step_index: 3, step: 'clicked', window: '7d', reached: 2, dropped: 1, conversion_from_previous: 0.6667, conversion_from_first: 0.5, median_hours: 24 },
      { step_index: 4, step: 'deal', window: '30d', reached: 1, dropped: 1, conversion_from_previous: 0.5, conversion_from_first: 0.25, median_hours: 168 },
      { step_index: 5, step: 'won', window: '180d', reached: 1, dropped: 0, conversion_from_previous: 1, conversion_from_first: 0.25, median_hours: 360 },
    ]);
  });

  it('any order: every step within its window of the touch, in whatever order', async () => {
    // T4 now reaches its deal (D4, 3 days after the touch) and its win (31 days). Hours from the touch:
    // clicked T1 48, T4 120 → 84; deal T1 216, T4 72 → 144; won T1 576, T4 744 → 660.
    const f = await marketingFunnel(wh, { ...range, order: 'any' });
    expect(reached(f.rows)).toEqual([4, 3, 2, 2, 2]);
    expect(f.rows.map((r) => r.median_hours)).toEqual([null, 24, 84, 144, 660]);
  });

  it('campaign attribution counts only deals that carry the campaign id', async () => {
    // D4 has no campaign: T4 loses its deal and win even in any order.
    const f = await marketingFunnel(wh, { ...range, order: 'any', attribution: 'campaign' });
    expect(reached(f.rows)).toEqual([4, 3, 2, 1, 1]);
  });

  it('takes windows and steps, including orders', async () => {
    // 1 day everywhere: opened T1, T2 (exactly 24 h counts); clicked T1 (24 h after its open); no deal within a day of the click.
    expect(reached((await marketingFunnel(wh, { ...range, windows: '1d' })).rows)).toEqual([4, 2, 1, 0, 0]);
    // sent → clicked (7d) → order (7d): clicked T1 (2 d), T3 (1 d), T4 (5 d); ordered after the click: T1 (4 Jan).
    const o = await marketingFunnel(wh, { ...range, steps: 'sent,clicked,order', windows: '7d,7d' });
    expect(reached(o.rows)).toEqual([4, 3, 1]);
    // 36 h windows, hours or days: opened T1, T2 (24 h); clicked T1 (24 h after open).
    expect(reached((await marketingFunnel(wh, { ...range, steps: ['sent', 'opened', 'clicked'], windows: ['36h', '1.5d'] })).rows)).toEqual([4, 2, 1]);
  });

  it('breaks down by customer attributes and campaign', async () => {
    // EMEA: T1, T2 → opened 2, clicked 1 (T1). APAC: T3, T4 → opened 1 (T4), clicked 1.
    const f = await marketingFunnel(wh, { ...range, steps: 'sent,opened,clicked', breakdown: 'region' });
    expect(pick(f.rows, ['breakdown', 'step', 'reached'])).toEqual([
      { breakdown: 'APAC', step: 'sent', reached: 2 },
      { breakdown: 'APAC', step: 'opened', reached: 1 },
      { breakdown: 'APAC', step: 'clicked', reached: 1 },
      { breakdown: 'EMEA', step: 'sent', reached: 2 },
      { breakdown: 'EMEA', step: 'opened', reached: 2 },
      { breakdown: 'EMEA', step: 'clicked', reached: 1 },
    ]);
    const all = await marketingFunnel(wh, { from: '2023-01-01', to: '2024-01-31', steps: 'sent,opened', breakdown: 'campaign', campaign: 'C2' });
    expect(pick(all.rows, ['breakdown', 'step', 'reached'])).toEqual([
      { breakdown: 'Autumn', step: 'sent', reached: 1 },
      { breakdown: 'Autumn', step: 'opened', reached: 0 },
    ]);
  });

  it('validates steps and windows', async () => {
    await expect(marketingFunnel(wh, { steps: 'opened,clicked' })).rejects.toThrow(/steps: the first step must be 'sent'/);
    await expect(marketingFunnel(wh, { steps: 'sent,opened,opened' })).rejects.toThrow(/a step is repeated/);
    await expect(marketingFunnel(wh, { steps: 'sent,bought' })).rejects.toThrow(/steps/);
    await expect(marketingFunnel(wh, { windows: '7d,7d' })).rejects.toThrow(/one window per step after the first \(4\) or one for all \(got 2\)/);
    await expect(marketingFunnel(wh, { windows: 'a week' })).rejects.toThrow(/'a week' is not a window/);
    expect([parseWindow('7d'), parseWindow('12h'), parseWindow('30m'), parseWindow('2'), parseWindow('x')]).toEqual([604800, 43200, 1800, 172800, null]);
  });

  it('saves who dropped off after which step', async () => {
    // Ordered defaults: T3 stopped at sent, T2 at opened, T4 at clicked (no deal after the click); T1 went all the way.
    const run = await saveFunnelRun(wh, 'marketing', range);
    const rows = await wh.all('select step, step_index, customer_id, touch_id, campaign_id, reason, dropped_at from funnel_dropoffs where run_id = $r order by touch_id', { r: run.runId });
    expect(rows).toEqual([
      { step: 'opened', step_index: 2, customer_id: 2, touch_id: 'T2', campaign_id: 'C1', reason: 'no clicked within window', dropped_at: '2024-01-02T00:00:00.000Z' },
      { step: 'sent', step_index: 1, customer_id: 3, touch_id: 'T3', campaign_id: 'C1', reason: 'no opened within window', dropped_at: '2024-01-01T00:00:00.000Z' },
      { step: 'clicked', step_index: 3, customer_id: 4, touch_id: 'T4', campaign_id: 'C1', reason: 'no deal within window', dropped_at: '2024-01-06T00:00:00.000Z' },
    ]);
    // Reached: sent T1–T4, opened T1 T2 T4, clicked T1 T4, deal and won T1.
    expect(run.summary).toMatch(/^marketing funnel run \d+: touches by step sent 4 → opened 3 → clicked 2 → deal 1 → won 1, 3 drop-offs$/);
    const clicked = await saveFunnelRun(wh, 'marketing', range, { step: 'clicked' });
    expect(clicked.dropoffs).toBe(1);
    await expect(saveFunnelRun(wh, 'marketing', range, { step: 'won' })).rejects.toThrow(/step 'won' is not a step with a next step; steps: sent, opened, clicked, deal/);
  });
});
