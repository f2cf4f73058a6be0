import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { Warehouse } from '../../../src/warehouse/index.ts';
import { DashboardService, type Dashboard } from '../../../src/publish/dashboards/index.ts';
import { tempDir } from '../../helpers.ts';
import { fixtureRange, seedDashboardFixture, seedModelOutputs } from './fixture.ts';

/** Panel figures on the hand-made fixture; every expected number is worked out in fixture.ts or below. */
let wh: Warehouse;
let svc: DashboardService;
let cleanup: () => void;
let dir: string;

beforeAll(async () => {
  const t = tempDir();
  cleanup = t.cleanup;
  dir = t.dir;
  wh = await Warehouse.open(join(t.dir, 'crm.duckdb'));
  await seedDashboardFixture(wh);
  svc = new DashboardService(wh, { versionTtlMs: 0 });
});
afterAll(async () => {
  await wh?.close();
  cleanup?.();
});

async function panel(dashboard: string, id: string, query: Record<string, string> = {}) {
  const d: Dashboard = svc.get(dashboard);
  return svc.panel(d, id, await svc.filters(d, { ...fixtureRange, ...query }));
}
let modelsSeeded = false;
/** Runs the models on the fixture once (the CLV test checks the panel before and after). */
async function ensureModels() {
  if (!modelsSeeded) await seedModelOutputs(wh, dir);
  modelsSeeded = true;
}
const kpi = async (dashboard: string, id: string, query: Record<string, string> = {}) => (await panel(dashboard, id, query)).rows[0];

describe('executive', () => {
  it('revenue KPI: completed orders only, inclusive end date, previous period of equal length', async () => {
    const r = await kpi('executive', 'revenue');
    expect(r.value).toBeCloseTo(480.5, 6);
    expect(r.previous_value).toBeCloseTo(30, 6);
    expect(r.change).toBeCloseTo(450.5, 6);
    expect(r.change_pct).toBeCloseTo(450.5 / 30, 9);
  });

  it('revenue KPI by region and by rep (order employee, else customer owner)', async () => {
    expect((await kpi('executive', 'revenue', { region: 'EMEA' })).value).toBeCloseTo(350.5, 6);
    expect((await kpi('executive', 'revenue', { region: 'AMER' })).value).toBeCloseTo(120, 6);
    expect((await kpi('executive', 'revenue', { rep: 'e1' })).value).toBeCloseTo(350.5, 6);
    expect((await kpi('executive', 'revenue', { rep: 'e2' })).value).toBeCloseTo(120, 6);
    expect((await kpi('executive', 'revenue', { region: 'Nowhere' })).value).toBe(0);
  });

  it('revenue by month fills empty months with zero and counts the UTC month of 23:30 on 31 March as March', async () => {
    const r = await panel('executive', 'revenue_by_period');
    expect(r.rows.map((x) => [x.period, x.revenue, x.orders])).toEqual([
      ['2026-01-01', 100, 1],
      ['2026-02-01', 250.5, 2],
      ['2026-03-01', 120, 2],
      ['2026-04-01', 0, 0],
      ['2026-05-01', 0, 0],
      ['2026-06-01', 10, 1],
    ]);
  });

  it('revenue by quarter and by week', async () => {
    const q = await panel('executive', 'revenue_by_period', { granularity: 'quarter' });
    expect(q.rows.map((x) => [x.period, x.revenue])).toEqual([
      ['2026-01-01', 470.5],
      ['2026-04-01', 10],
    ]);
    const w = await panel('executive', 'revenue_by_period', { granularity: 'week', from: '2026-02-09', to: '2026-02-22' });
    // weeks start on Monday: 9 Feb holds o2 (12 Feb) and o3 (14 Feb)
    expect(w.rows.map((x) => [x.period, x.revenue])).toEqual([
      ['2026-02-09', 250.5],
      ['2026-02-16', 0],
    ]);
  });

  it('new customers, win rate and pooled monthly churn', async () => {
    expect(await kpi('executive', 'new_customers')).toMatchObject({ value: 4, previous_value: 1, change: 3, change_pct: 3 });
    const win = await kpi('executive', 'win_rate');
    expect(win.value).toBeCloseTo(2 / 3, 12);
    expect(win.previous_value).toBe(1);
    const churn = await kpi('executive', 'churn_rate');
    expect(churn.value).toBeCloseTo(2 / 16, 12);
    expect(churn.previous_value).toBeCloseTo(1 / 14, 12);
  });

  it('quota attainment comes from the quota-attainment report (finest period type per rep)', async () => {
    const r = await panel('executive', 'quota_attainment');
    expect(r.rows.map((x) => [x.rep, x.quota, x.won_amount, x.attainment])).toEqual([
      ['Alice Ng', 2000, 1000, 0.5],
      ['Bob Ortiz', 3000, 2000, 0.6667],
    ]);
    const e2 = await panel('executive', 'quota_attainment', { rep: 'e2' });
    expect(e2.rows.map((x) => x.rep)).toEqual(['Bob Ortiz']);
    expect(e2.params).toMatchObject({ rep: 'e2', region: null });
  });

  it('pipeline by forecast category comes from the pipeline-forecast report', async () => {
    const r = await panel('executive', 'pipeline_by_category');
    const open = r.rows.filter((x) => x.category !== 'closed' && (x.amount as number) > 0);
    expect(open.reduce((a, x) => a + (x.amount as number), 0)).toBe(4500);
    expect(open.find((x) => x.category === 'commit')!.amount).toBe(3000);
  });

  it('average CLV shows an empty state until the model has run, then the average', async () => {
    const before = await panel('executive', 'average_clv');
    expect(before.empty).toMatchObject({ reason: 'missing_source' });
    expect(before.empty!.message).toMatch(/crm models run clv/);
    await ensureModels();
    const after = await panel('executive', 'average_clv');
    expect(after.empty).toBeNull();
    expect(after.rows[0].value).toBeCloseTo(57, 9);
    expect(after.rows[0].previous_value).toBeNull();
  });
});

describe('marketing: CLV bands', () => {
  it('log-spaced bands labelled with three significant figures (CLV 30 and 84)', async () => {
    await ensureModels();
    const r = await panel('marketing', 'clv_distribution');
    // log10(30) * 4 = 5.9 → band 5: 10^(5/4) = 17.78 … 10^(6/4) = 31.62; log10(84) * 4 = 7.7 → band 7: 56.23 … 100
    expect(r.rows.map((x) => [x.band, x.band_label, x.clv_from, x.clv_to, x.customers])).toEqual([
      [5, '17.8–31.6', 17.78, 31.62, 1],
      [7, '56.2–100', 56.23, 100, 1],
    ]);
  });
});

describe('sales', () => {
  it('funnel: reached each stage, won last, drop-offs; a closing stage in the history is not a step', async () => {
    // d1..d5 created in the range; d2 was lost after proposal (its history ends in 'closed lost'), d4 is open at proposal.
    const r = await panel('sales', 'funnel');
    expect(r.rows.map((x) => [x.pipeline, x.stage, x.reached, x.lost_here, x.open_here])).toEqual([
      ['default', 'qualify', 5, 0, 1],
      ['default', 'proposal', 4, 1, 1],
      ['default', 'negotiation', 2, 0, 0],
      ['default', 'won', 2, 0, 0],
    ]);
    expect(r.rows[1].conversion_to_next).toBeCloseTo(0.5, 12);
    expect(r.rows[3].conversion_from_first).toBeCloseTo(0.4, 12);
  });

  it('funnel by rep', async () => {
    const r = await panel('sales', 'funnel', { rep: 'e2' });
    expect(r.rows.map((x) => [x.stage, x.reached])).toEqual([
      ['qualify', 3],
      ['proposal', 2],
      ['negotiation', 1],
      ['won', 1],
    ]);
  });

  it('time in stage: median, p75, p90 days of ended visits', async () => {
    const r = await panel('sales', 'time_in_stage');
    const byStage = Object.fromEntries(r.rows.map((x) => [x.stage, x]));
    expect(r.rows.map((x) => x.stage)).toEqual(['qualify', 'proposal', 'negotiation']);
    expect(byStage.qualify).toMatchObject({ visits: 4, median_days: 13 });
    expect(byStage.proposal).toMatchObject({ visits: 3, median_days: 15 });
    expect(byStage.negotiation).toMatchObject({ visits: 2, median_days: 30.5 });
    expect(byStage.negotiation.p90_days).toBeCloseTo(16 + 0.9 * 29, 9);
  });

  it('rep leaderboard and win rate trend', async () => {
    const lb = await panel('sales', 'rep_leaderboard');
    expect(lb.rows.map((x) => [x.rep, x.won_amount, x.deals_won, x.deals_lost, x.win_rate])).toEqual([
      ['Bob Ortiz', 2000, 1, 0, 1],
      ['Alice Ng', 1000, 1, 1, 0.5],
    ]);
    const trend = await panel('sales', 'win_rate_trend');
    expect(trend.rows.map((x) => [x.period, x.deals_closed, x.win_rate])).toEqual([
      ['2026-01-01', 0, null],
      ['2026-02-01', 1, 1],
      ['2026-03-01', 1, 0],
      ['2026-04-01', 1, 1],
      ['2026-05-01', 0, null],
      ['2026-06-01', 0, null],
    ]);
  });

  it('sales KPIs', async () => {
    expect(await kpi('sales', 'won_amount')).toMatchObject({ value: 3000, previous_value: 400 });
    expect(await kpi('sales', 'new_pipeline')).toMatchObject({ value: 8000, previous_value: 400 });
    // d1: 36 days, d3: 73 days; previous d6: 45 days
    expect(await kpi('sales', 'sales_cycle')).toMatchObject({ value: 54.5, previous_value: 45 });
  });
});

describe('service', () => {
  it('KPIs: tickets, median first response and resolution, satisfaction', async () => {
    expect(await kpi('service', 'tickets')).toMatchObject({ value: 4, previous_value: 1 });
    expect(await kpi('service', 'first_response')).toMatchObject({ value: 4, previous_value: 1 });
    expect(await kpi('service', 'resolution')).toMatchObject({ value: 18, previous_value: 3 });
    expect(await kpi('service', 'satisfaction')).toMatchObject({ value: 4, previous_value: 4, change: 0, change_pct: 0 });
  });

  it('ticket volume per month and priority, zero-filled', async () => {
    const r = await panel('service', 'ticket_volume', { granularity: 'quarter' });
    expect(r.rows.map((x) => [x.period, x.priority, x.tickets])).toEqual([
      ['2026-01-01', 'high', 1],
      ['2026-01-01', 'low', 0],
      ['2026-01-01', 'normal', 1],
      ['2026-01-01', 'urgent', 1],
      ['2026-04-01', 'high', 0],
      ['2026-04-01', 'low', 1],
      ['2026-04-01', 'normal', 0],
      ['2026-04-01', 'urgent', 0],
    ]);
  });

  it('the rep filter offers the employees tickets are assigned to, busiest first', async () => {
    const options = await svc.options(svc.get('service'));
    expect(options.rep).toEqual([
      { value: 'e1', label: 'Alice Ng (EMEA) · 3 tickets' },
      { value: 'e2', label: 'Bob Ortiz (AMER) · 2 tickets' },
    ]);
    // the other dashboards keep the default list (owners, order employees, quota holders)
    expect((await svc.options(svc.get('sales'))).rep!.map((o) => o.label)).toEqual(['Alice Ng (EMEA)', 'Bob Ortiz (AMER)']);
  });

  it('backlog by age band, counted to the last ticket opened', async () => {
    const r = await panel('service', 'backlog');
    // t3 opened 15 Mar, open 107.5 days before t4 (30 Jun 12:00); t4 is 0 days old
    expect(r.rows.map((x) => [x.age_band, x.priority, x.tickets])).toEqual([
      ['1: under 1 day', 'low', 1],
      ['4: 30+ days', 'urgent', 1],
    ]);
  });

  it('satisfaction by category', async () => {
    const r = await panel('service', 'satisfaction_by_category');
    expect(r.rows.map((x) => [x.category, x.rated_tickets, x.average_satisfaction, x.share_satisfied])).toEqual([['billing', 2, 4, 0.5]]);
  });
});

describe('marketing', () => {
  it('campaign ROI per target segment from attributed completed orders', async () => {
    const r = await panel('marketing', 'campaign_roi');
    expect(r.rows.map((x) => [x.target_segment, x.cost, x.revenue, x.conversions, x.roi])).toEqual([
      ['loyal', 100, 80, 1, -0.2],
      ['at_risk', 50, 0, 0, -1],
    ]);
  });

  it('campaign funnel steps', async () => {
    const r = await panel('marketing', 'campaign_funnel');
    expect(r.rows.filter((x) => x.campaign === 'Spring email').map((x) => [x.step_name, x.touches])).toEqual([
      ['sent', 3],
      ['opened', 2],
      ['clicked', 1],
      ['converted', 1],
    ]);
  });

  it('new customers by channel', async () => {
    const r = await panel('marketing', 'new_customers_by_channel', { granularity: 'quarter' });
    expect(r.rows.map((x) => [x.period, x.channel, x.customers])).toEqual([
      ['2026-01-01', 'email', 1],
      ['2026-01-01', 'referral', 1],
      ['2026-01-01', 'web', 1],
      ['2026-04-01', 'web', 1],
    ]);
  });
});

describe('ops', () => {
  it('KPIs and problem runs', async () => {
    expect(await kpi('ops', 'runs')).toMatchObject({ value: 3, previous_value: 0 });
    expect(await kpi('ops', 'failed_runs')).toMatchObject({ value: 1 });
    expect(await kpi('ops', 'rows_loaded')).toMatchObject({ value: 15 });
    expect(await kpi('ops', 'rows_quarantined')).toMatchObject({ value: 3 });
    const problems = await panel('ops', 'problem_runs');
    expect(problems.rows.map((x) => [x.run_id, x.status, x.error])).toEqual([[2, 'failed', 'orders.csv: file not found']]);
  });

  it('freshness: last success per pipeline and its last run status', async () => {
    const r = await panel('ops', 'freshness');
    const byPipeline = Object.fromEntries(r.rows.map((x) => [x.pipeline, x]));
    expect(byPipeline.shop_orders).toMatchObject({ last_status: 'succeeded', last_success_at: '2026-06-30T03:00:10.000Z' });
    expect(byPipeline.crm_customers).toMatchObject({ last_status: 'succeeded', last_success_at: '2026-06-29T02:00:05.000Z' });
  });

  it('quarantine reasons count problems and source rows per field and kind (quoted values folded)', async () => {
    const r = await panel('ops', 'quarantine_reasons');
    expect(r.rows.map((x) => [x.pipeline, x.reason, x.problems, x.source_rows, x.example])).toEqual([
      ['shop_orders', 'ordered_at: cannot read … as date', 2, 2, "cannot read '2026-02-30' as date"],
      ['crm_customers', 'country: required', 1, 1, 'required'],
      ['crm_customers', 'email: not an e-mail address', 1, 1, 'not an e-mail address'],
    ]);
  });

  it('rows per day, zero-filled', async () => {
    const r = await panel('ops', 'rows_by_period', { granularity: 'day', from: '2026-06-28', to: '2026-06-30' });
    expect(r.rows.map((x) => [x.period, x.runs, x.rows_loaded, x.rows_quarantined])).toEqual([
      ['2026-06-28', 0, 0, 0],
      ['2026-06-29', 1, 5, 1],
      ['2026-06-30', 2, 10, 2],
    ]);
  });
});

describe('model panels and the segment filter (after seedModelOutputs)', () => {
  beforeAll(ensureModels);

  it('the segment filter keeps the customers in the segment as of the latest segment run', async () => {
    const members = await wh.all<{ customer_id: number }>(`select customer_id from dash_segment_members('lapsed-90d') order by 1`);
    // last purchase more than 90 days before 2026-06-30: c1 (12 Feb), c2 (14 Feb), c3 (3 Mar), c4 (31 Mar); not c5 (30 Jun)
    expect(members.map((m) => m.customer_id)).toEqual([1, 2, 3, 4]);
    expect((await kpi('executive', 'revenue', { segment: 'lapsed-90d' })).value).toBeCloseTo(470.5, 6);
    expect((await kpi('executive', 'new_customers', { segment: 'lapsed-90d' })).value).toBe(3);
    expect((await kpi('executive', 'revenue', { segment: 'no-such-segment' })).value).toBe(0);
    const d = svc.get('executive');
    const options = await svc.options(d);
    expect(options.segment!.map((o) => o.value)).toContain('lapsed-90d');
    expect(options.segment!.find((o) => o.value === 'rfm-at-risk')!.label).toBe('RFM: At Risk (1)');
  });

  it('report panels filter by segment through the RFM label of the same run; a rule segment says it cannot', async () => {
    // Open deals: d4 (3,000, commit, customer 4) and d5 (1,500, customer 3); c3 and c4 sit in different RFM segments.
    const scored = await wh.all<{ customer_id: number; rfm_segment: string }>(
      `select customer_id, rfm_segment from rfm_scores where run_id = (select max(run_id) from segment_runs where status = 'succeeded') and customer_id in (3, 4) order by 1`,
    );
    expect(scored.map((x) => x.rfm_segment)).toEqual(['need-attention', 'potential-loyalist']);
    const open = (rows: Record<string, unknown>[]) => rows.filter((x) => x.category !== 'closed').reduce((a, x) => a + (x.amount as number), 0);
    const r = await panel('executive', 'pipeline_by_category', { segment: 'rfm-potential-loyalist' });
    expect(r.empty).toBeNull();
    expect(open(r.rows)).toBe(3000);
    const rule = await panel('executive', 'pipeline_by_category', { segment: 'lapsed-90d' });
    expect(rule.rows).toEqual([]);
    expect(rule.empty!.message).toMatch(/RFM segments only/);
  });

  it('RFM grid and migration cover every scored customer once', async () => {
    const grid = await panel('marketing', 'rfm_grid');
    expect(grid.rows.reduce((a, r) => a + (r.customers as number), 0)).toBe(5);
    // c1: last purchase 12 Feb, 138 days before 30 Jun, the least recent: recency score 1
    expect(grid.rows.find((r) => r.r_score === 1)).toMatchObject({ customers: 1, average_recency_days: 138, average_monetary: 180.5 });
    const migration = await panel('marketing', 'segment_migration');
    expect(migration.rows.reduce((a, r) => a + (r.customers as number), 0)).toBe(5);
    expect(migration.rows.find((r) => r.to_segment === 'Potential Loyalist' && r.from_segment === 'New')!.customers).toBe(1);
    const sizes = await panel('marketing', 'segment_sizes');
    expect(sizes.rows.find((r) => r.segment === 'lapsed-90d')).toMatchObject({ members: 4, as_of: '2026-06-30' });
  });

  it('campaign lift compares the targeted and holdout halves of the cp1 export', async () => {
    const lift = await panel('marketing', 'campaign_lift');
    expect(lift.rows.map((r) => [r.campaign, r.group, r.customers])).toEqual([
      ['Spring email', 'targeted', 2],
      ['Spring email', 'holdout', 2],
    ]);
    expect(lift.rows[0]).toMatchObject({ window_from: '2026-03-01', window_to: '2026-04-01' });
    expect((await panel('marketing', 'campaign_lift', { from: '2025-01-01', to: '2025-12-31' })).empty!.message).toMatch(/holdout/);
  });

  it('forecast panels read the forecast model and its snapshots', async () => {
    const acc = await panel('sales', 'forecast_accuracy');
    // the run as of 30 Jun forecast June one month ahead; June's actual revenue is o9's 10
    expect(acc.rows.find((r) => r.period === '2026-06-01')).toMatchObject({ horizon: 1, actual: 10 });
    const fc = await panel('executive', 'revenue_vs_forecast');
    const actual = Object.fromEntries(fc.rows.filter((r) => r.kind === 'actual').map((r) => [r.period, r.actual]));
    // orders + closed-won deals by month: February = 250.50 + d1 1000; April = d3 2000
    expect(actual['2026-02-01']).toBe(1250.5);
    expect(actual['2026-04-01']).toBe(2000);
    expect(fc.rows.filter((r) => r.kind === 'forecast')).toHaveLength(6);
  });

  it('satisfaction by segment comes from the service report', async () => {
    const r = await panel('service', 'satisfaction_by_segment');
    expect(r.rows.find((x) => x.segment === "Can't Lose Them")).toMatchObject({ tickets: 1, satisfaction_avg: 5 });
  });
});

