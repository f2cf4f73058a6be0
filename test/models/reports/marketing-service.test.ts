import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listReports, runReport } from '../../../src/models/reports/index.ts';
import type { ReportRow } from '../../../src/models/reports/types.ts';
import { calendarShare } from '../../../src/models/reports/definitions/contact-stats.ts';
import { Warehouse } from '../../../src/warehouse/index.ts';
import { tempDir } from '../../helpers.ts';
import { seedReportsFixture, seedSegments } from './fixture.ts';

const q1 = { from: '2024-01-01', to: '2024-03-31' };
let wh: Warehouse;
let cleanup: () => void;

beforeAll(async () => {
  const t = tempDir();
  cleanup = t.cleanup;
  wh = await Warehouse.open(`${t.dir}/r.duckdb`);
  await seedReportsFixture(wh);
});
afterAll(async () => {
  await wh.close();
  cleanup();
});

const pick = (rows: ReportRow[], keys: string[]) => rows.map((r) => Object.fromEntries(keys.map((k) => [k, r[k]])));

describe('campaign effectiveness', () => {
  it('measures reach, responses, conversions, revenue, cost, CPA and ROI per campaign', async () => {
    // C1 has 4 touches in all (T4 in December) → 300 / 4 = 75 per touch; T1–T3 are in range → cost 225.
    //   T1 opened; T2 opened, clicked and converted; T3 nothing → opened 2, clicked 1, responses 1, conversions 1 (1/3).
    //   Revenue: o1 (campaign C1, 100) + D5 (won, campaign C1, 2000) = 2100; CPA 225; ROI (2100 − 225) / 225 = 8.3333.
    // C2 (Fall) has no touches: its whole cost 100 at its start (1 Feb); ROI −1. C3's only touch is from 2023.
    const r = await runReport(wh, 'campaign-effectiveness', q1);
    expect(pick(r.rows, ['row_type', 'campaign', 'touches', 'reached', 'opened', 'clicked', 'responded', 'response_rate', 'conversions', 'conversion_rate', 'order_revenue', 'deal_revenue', 'revenue', 'cost', 'cost_per_acquisition', 'roi'])).toEqual([
      { row_type: 'detail', campaign: 'Fall', touches: 0, reached: 0, opened: 0, clicked: 0, responded: 0, response_rate: null, conversions: 0, conversion_rate: null, order_revenue: 0, deal_revenue: 0, revenue: 0, cost: 100, cost_per_acquisition: null, roi: -1 },
      { row_type: 'detail', campaign: 'Spring', touches: 3, reached: 3, opened: 2, clicked: 1, responded: 1, response_rate: 0.3333, conversions: 1, conversion_rate: 0.3333, order_revenue: 100, deal_revenue: 2000, revenue: 2100, cost: 225, cost_per_acquisition: 225, roi: 8.3333 },
      { row_type: 'total', campaign: null, touches: 3, reached: 3, opened: 2, clicked: 1, responded: 1, response_rate: 0.3333, conversions: 1, conversion_rate: 0.3333, order_revenue: 100, deal_revenue: 2000, revenue: 2100, cost: 325, cost_per_acquisition: 325, roi: 5.4615 },
    ]);
  });

  it('says how to get segments when no segments run exists, and splits by RFM segment when one does', async () => {
    await expect(runReport(wh, 'campaign-effectiveness', { ...q1, groupBy: 'campaign,segment' })).rejects.toThrow(/needs a segments run/);
    await seedSegments(wh);
    // Run 1 (succeeded; run 2 failed): customer 1 Champions, 3 At Risk; 2 (and C2's cost row, no customer) have none.
    // Spring: Champions T1 (opened, 75, o1 100); At Risk T3 (75, D5 2000); none T2 (converted, 75).
    const r = await runReport(wh, 'campaign-effectiveness', { ...q1, groupBy: 'campaign,segment' });
    expect(pick(r.rows, ['row_type', 'campaign', 'segment', 'touches', 'opened', 'conversions', 'revenue', 'cost'])).toEqual([
      { row_type: 'detail', campaign: 'Fall', segment: '(no RFM segment)', touches: 0, opened: 0, conversions: 0, revenue: 0, cost: 100 },
      { row_type: 'subtotal', campaign: 'Fall', segment: null, touches: 0, opened: 0, conversions: 0, revenue: 0, cost: 100 },
      { row_type: 'detail', campaign: 'Spring', segment: '(no RFM segment)', touches: 1, opened: 1, conversions: 1, revenue: 0, cost: 75 },
      { row_type: 'detail', campaign: 'Spring', segment: 'At Risk', touches: 1, opened: 0, conversions: 0, revenue: 2000, cost: 75 },
      { row_type: 'detail', campaign: 'Spring', segment: 'Champions', touches: 1, opened: 1, conversions: 0, revenue: 100, cost: 75 },
      { row_type: 'subtotal', campaign: 'Spring', segment: null, touches: 3, opened: 2, conversions: 1, revenue: 2100, cost: 225 },
      { row_type: 'total', campaign: null, segment: null, touches: 3, opened: 2, conversions: 1, revenue: 2100, cost: 325 },
    ]);
    expect(r.meta.notes.join(' ')).toMatch(/segments run 1/);
  });
});

describe('service', () => {
  it('gives volume, response and resolution percentiles and satisfaction per category', async () => {
    // billing: k1 — first response 2 h, resolved 24 h, satisfaction 5.
    // tech: k2 (1 h, 10 h, 2) and k3 (4 h, unresolved) → first response mean 2.5, p50 2.5, p90 1 + 0.9 × 3 = 3.7; resolution 10.
    // total: first response [1, 2, 4] → mean 2.3333, p50 2, p90 2 + 0.8 × 2 = 3.6; resolution [10, 24] → p50 17, p90 10 + 0.9 × 14 = 22.6.
    const r = await runReport(wh, 'service', { ...q1, by: 'none', groupBy: 'category' });
    expect(pick(r.rows, ['row_type', 'category', 'tickets', 'unresolved', 'first_response_hours_avg', 'first_response_hours_p50', 'first_response_hours_p90', 'resolution_hours_p50', 'resolution_hours_p90', 'rated', 'satisfaction_avg', 'csat'])).toEqual([
      { row_type: 'detail', category: 'billing', tickets: 1, unresolved: 0, first_response_hours_avg: 2, first_response_hours_p50: 2, first_response_hours_p90: 2, resolution_hours_p50: 24, resolution_hours_p90: 24, rated: 1, satisfaction_avg: 5, csat: 1 },
      { row_type: 'detail', category: 'tech', tickets: 2, unresolved: 1, first_response_hours_avg: 2.5, first_response_hours_p50: 2.5, first_response_hours_p90: 3.7, resolution_hours_p50: 10, resolution_hours_p90: 10, rated: 1, satisfaction_avg: 2, csat: 0 },
      { row_type: 'total', category: null, tickets: 3, unresolved: 1, first_response_hours_avg: 2.33, first_response_hours_p50: 2, first_response_hours_p90: 3.6, resolution_hours_p50: 17, resolution_hours_p90: 22.6, rated: 2, satisfaction_avg: 3.5, csat: 0.5 },
    ]);
  });

  it('orders priorities by urgency, not alphabetically, and counts by month', async () => {
    const r = await runReport(wh, 'service', { ...q1, by: 'none', groupBy: 'priority', totals: false });
    expect(r.rows.map((x) => x.priority)).toEqual(['urgent', 'high', 'normal']);
    const m = await runReport(wh, 'service', q1);
    expect(pick(m.rows, ['period', 'tickets'])).toEqual([
      { period: '2024-01-01', tickets: 1 },
      { period: '2024-03-01', tickets: 2 },
      { period: null, tickets: 3 },
    ]);
  });
});

describe('contact statistics', () => {
  it('counts interactions by channel × weekday with share and seasonality index', async () => {
    // i1 Mon 8 Jan phone, i2 Tue 9 Jan email, i3 Thu 1 Feb phone, i4 Tue 5 Mar meeting, i5 Wed 6 Mar chat (i6 is 2023).
    // Q1 2024 is 13 whole weeks: every weekday has 1/7 of the days, so index = share × 7.
    const r = await runReport(wh, 'contact-stats', q1);
    expect(pick(r.rows, ['row_type', 'channel', 'weekday', 'interactions', 'share', 'seasonality_index'])).toEqual([
      { row_type: 'detail', channel: 'chat', weekday: 'Wednesday', interactions: 1, share: 1, seasonality_index: 7 },
      { row_type: 'subtotal', channel: 'chat', weekday: null, interactions: 1, share: null, seasonality_index: null },
      { row_type: 'detail', channel: 'email', weekday: 'Tuesday', interactions: 1, share: 1, seasonality_index: 7 },
      { row_type: 'subtotal', channel: 'email', weekday: null, interactions: 1, share: null, seasonality_index: null },
      { row_type: 'detail', channel: 'meeting', weekday: 'Tuesday', interactions: 1, share: 1, seasonality_index: 7 },
      { row_type: 'subtotal', channel: 'meeting', weekday: null, interactions: 1, share: null, seasonality_index: null },
      { row_type: 'detail', channel: 'phone', weekday: 'Monday', interactions: 1, share: 0.5, seasonality_index: 3.5 },
      { row_type: 'detail', channel: 'phone', weekday: 'Thursday', interactions: 1, share: 0.5, seasonality_index: 3.5 },
      { row_type: 'subtotal', channel: 'phone', weekday: null, interactions: 2, share: null, seasonality_index: null },
      { row_type: 'total', channel: null, weekday: null, interactions: 5, share: null, seasonality_index: null },
    ]);
    const phone = r.rows.find((x) => x.channel === 'phone' && x.row_type === 'subtotal')!;
    // i1 600 s + i3 300 s = 15 minutes; one inbound of two.
    expect(phone).toMatchObject({ minutes: 15, avg_minutes: 7.5, inbound_share: 0.5, customers: 2 });
  });

  it('weighs months by their days for the month-of-year index', async () => {
    // Jan 2 (i1, i2) of 5 = 0.4; January has 31 of the 91 days → index 0.4 / (31/91) = 1.174.
    const r = await runReport(wh, 'contact-stats', { ...q1, groupBy: 'month_of_year' });
    expect(pick(r.rows, ['month_of_year', 'interactions', 'share', 'seasonality_index'])).toEqual([
      { month_of_year: 'January', interactions: 2, share: 0.4, seasonality_index: 1.174 },
      { month_of_year: 'February', interactions: 1, share: 0.2, seasonality_index: 0.628 },
      { month_of_year: 'March', interactions: 2, share: 0.4, seasonality_index: 1.174 },
      { month_of_year: null, interactions: 5, share: null, seasonality_index: null },
    ]);
    expect(calendarShare('2024-01-01', '2024-01-08', 'weekday', 'Monday')).toBeCloseTo(1 / 7, 12);
    expect(calendarShare('2024-02-01', '2024-03-01', 'month_of_year', 'February')).toBe(1);
  });
});

describe('customer timeline', () => {
  it("lists one customer's events newest first, filtered by kind and date", async () => {
    // Customer 1: created, acquired, orders o7 o1 o2, interactions i6 i1 i2, ticket k1 (opened, first response, resolved),
    // deals D1 and D6 (created + won each), touches T5 (sent) and T1 (sent, opened) = 18 events.
    const all = await runReport(wh, 'customer-timeline', { customer_id: 1 });
    expect(all.rows).toHaveLength(18);
    expect(all.rows[0]).toMatchObject({ at: '2024-04-02T00:00:00.000Z', kind: 'deal', event: 'won', ref_id: 'D6', amount: 700, employee: 'Ann' });
    expect(all.rows.at(-1)).toMatchObject({ at: '2023-06-05T08:00:00.000Z', kind: 'campaign', event: 'sent', ref_id: 'C3', detail: 'Old' });
    const orders = await runReport(wh, 'customer-timeline', { customer_id: '1', kinds: 'order', from: '2024-01-01' });
    expect(pick(orders.rows, ['ref_id', 'amount', 'detail'])).toEqual([
      { ref_id: 'o2', amount: 60, detail: '3 items' },
      { ref_id: 'o1', amount: 100, detail: '2 items, campaign C1' },
    ]);
    const ticket = await runReport(wh, 'customer-timeline', { customer_id: 1, kinds: ['ticket'] });
    expect(ticket.rows.map((x) => x.event)).toEqual(['resolved', 'first response', 'opened']);
    expect(ticket.rows[0].detail).toBe('satisfaction 5/5');
    await expect(runReport(wh, 'customer-timeline', { customer_id: 99 })).rejects.toThrow(/customer 99 not found/);
    await expect(runReport(wh, 'customer-timeline', {})).rejects.toThrow(/customer_id/);
    await expect(runReport(wh, 'customer-timeline', { customer_id: 1, kinds: 'orders' })).rejects.toThrow(/kinds/);
  });
});

describe('report registry', () => {
  it('lists every report with its group-bys', () => {
    const names = listReports().map((r) => r.name);
    for (const n of ['sales', 'rep-performance', 'quota-attainment', 'campaign-effectiveness', 'customer-profitability', 'service', 'contact-stats', 'customer-timeline', 'funnel', 'funnel-lost-reasons', 'marketing-funnel', 'pipeline-forecast', 'win-rates', 'revenue-forecast', 'forecast-backtest', 'forecast-accuracy'])
      expect(names).toContain(n);
    const sales = listReports().find((r) => r.name === 'sales')!;
    expect(sales.groupBys).toEqual(expect.arrayContaining(['product', 'category', 'region', 'rep']));
  });
});
