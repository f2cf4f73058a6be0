import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refreshReportMarts, runReport } from '../../../src/models/reports/index.ts';
import type { ReportRow } from '../../../src/models/reports/types.ts';
import { Warehouse } from '../../../src/warehouse/index.ts';
import { tempDir } from '../../helpers.ts';
import { seedReportsFixture } from './fixture.ts';

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

/** The rows without row_type, for compact comparisons. */
const pick = (rows: ReportRow[], keys: string[]) => rows.map((r) => Object.fromEntries(keys.map((k) => [k, r[k]])));

describe('sales report', () => {
  it('buckets completed orders by month with a total (returned apart; cancelled, out-of-range left out)', async () => {
    // Jan: o1 100 (2 items). Feb: o2 60 + o3 40 (customers 1, 2). Mar: o4 200 + o8 10 (23:59 on the 31st is inside), o5 returned 25.
    // o6 cancelled and o7 (31 Dec 2023) are out. Total: 5 orders, customers {1,2,3}, 410, units 2+3+1+4+1 = 11, AOV 82.
    const r = await runReport(wh, 'sales', { ...q1, by: 'month' });
    expect(pick(r.rows, ['row_type', 'period', 'orders', 'customers', 'revenue', 'units', 'avg_order_value', 'returned_orders', 'returned_amount'])).toEqual([
      { row_type: 'detail', period: '2024-01-01', orders: 1, customers: 1, revenue: 100, units: 2, avg_order_value: 100, returned_orders: 0, returned_amount: 0 },
      { row_type: 'detail', period: '2024-02-01', orders: 2, customers: 2, revenue: 100, units: 4, avg_order_value: 50, returned_orders: 0, returned_amount: 0 },
      { row_type: 'detail', period: '2024-03-01', orders: 2, customers: 2, revenue: 210, units: 5, avg_order_value: 105, returned_orders: 1, returned_amount: 25 },
      { row_type: 'total', period: null, orders: 5, customers: 3, revenue: 410, units: 11, avg_order_value: 82, returned_orders: 1, returned_amount: 25 },
    ]);
    expect(r.meta.params).toMatchObject({ from: '2024-01-01', to: '2024-03-31', by: 'month', groupBy: [] });
    expect(r.columns.map((c) => c.name).slice(0, 3)).toEqual(['row_type', 'period', 'orders']);
  });

  it('nests two group-bys under the period with subtotals after each group', async () => {
    // Q1: APAC/Cid o4 200; EMEA/Ann o1 + o2 = 160; EMEA/Bob o3 + o8 = 50 (and Bob's return o5).
    const r = await runReport(wh, 'sales', { ...q1, by: 'quarter', groupBy: 'region,rep' });
    expect(pick(r.rows, ['row_type', 'period', 'region', 'rep', 'orders', 'revenue', 'returned_orders'])).toEqual([
      { row_type: 'detail', period: '2024-01-01', region: 'APAC', rep: 'Cid', orders: 1, revenue: 200, returned_orders: 0 },
      { row_type: 'subtotal', period: '2024-01-01', region: 'APAC', rep: null, orders: 1, revenue: 200, returned_orders: 0 },
      { row_type: 'detail', period: '2024-01-01', region: 'EMEA', rep: 'Ann', orders: 2, revenue: 160, returned_orders: 0 },
      { row_type: 'detail', period: '2024-01-01', region: 'EMEA', rep: 'Bob', orders: 2, revenue: 50, returned_orders: 1 },
      { row_type: 'subtotal', period: '2024-01-01', region: 'EMEA', rep: null, orders: 4, revenue: 210, returned_orders: 1 },
      { row_type: 'subtotal', period: '2024-01-01', region: null, rep: null, orders: 5, revenue: 410, returned_orders: 1 },
      { row_type: 'total', period: null, region: null, rep: null, orders: 5, revenue: 410, returned_orders: 1 },
    ]);
  });

  it('groups by category from order lines, and the lines add up to the order totals', async () => {
    // Toys: o2 (P2 30 + P3 30), o3 P2 40, o8 P2 10 → 110, orders {o2,o3,o8}, units 2+1+1+1 = 5, customers {1,2}; returned o5 P2 25.
    // Tools: o1 P1 100, o4 P1 200 → 300, 2 orders, units 6, customers {1,3}.
    const r = await runReport(wh, 'sales', { ...q1, by: 'none', groupBy: ['category'] });
    expect(pick(r.rows, ['row_type', 'category', 'orders', 'customers', 'revenue', 'units', 'returned_amount'])).toEqual([
      { row_type: 'detail', category: 'Tools', orders: 2, customers: 2, revenue: 300, units: 6, returned_amount: 0 },
      { row_type: 'detail', category: 'Toys', orders: 3, customers: 2, revenue: 110, units: 5, returned_amount: 25 },
      { row_type: 'total', category: null, orders: 5, customers: 3, revenue: 410, units: 11, returned_amount: 25 },
    ]);
    expect(r.meta.notes.join(' ')).toMatch(/order-line amounts/);
  });

  it('filters on a dimension with bound values, leaves totals out, and sorts a top-N list', async () => {
    const emea = await runReport(wh, 'sales', { ...q1, by: 'none', groupBy: [], filters: { region: 'EMEA' } });
    expect(emea.rows).toEqual([expect.objectContaining({ row_type: 'total', orders: 4, revenue: 210 })]);
    const injection = await runReport(wh, 'sales', { ...q1, by: 'none', groupBy: [], filters: { region: ["EMEA' or '1'='1"] } });
    expect(injection.rows[0]).toMatchObject({ orders: 0, revenue: 0 });
    const noTotals = await runReport(wh, 'sales', { ...q1, by: 'none', groupBy: 'rep', totals: 'false' });
    expect(noTotals.rows.map((r) => r.row_type)).toEqual(['detail', 'detail', 'detail']);
    const top = await runReport(wh, 'sales', { ...q1, by: 'none', groupBy: 'customer_id', sort: 'revenue', limit: 2 });
    // customer 3: 200, customer 1: 160, customer 2: 50 → the first two, truncated.
    expect(pick(top.rows, ['customer_id', 'revenue'])).toEqual([
      { customer_id: 3, revenue: 200 },
      { customer_id: 1, revenue: 160 },
    ]);
    expect(top.meta.truncated).toBe(true);
    const few = await runReport(wh, 'sales', { ...q1, by: 'none', measures: 'revenue,orders' });
    expect(few.rows).toEqual([{ row_type: 'total', orders: 5, revenue: 410 }]);
    expect(few.columns.map((c) => c.name)).toEqual(['row_type', 'orders', 'revenue']);
  });

  it('rejects unknown group-bys, filters and sorts with the valid names, and more than two group-bys', async () => {
    await expect(runReport(wh, 'sales', { groupBy: 'regoin' })).rejects.toThrow(/report sales: groupBy: unknown group-by 'regoin'; valid: .*region.*rep/);
    await expect(runReport(wh, 'sales', { groupBy: 'region,rep,team' })).rejects.toThrow(/at most two group-bys/);
    await expect(runReport(wh, 'sales', { filters: { colour: 'red' } })).rejects.toThrow(/unknown filter 'colour'; valid: /);
    await expect(runReport(wh, 'sales', { sort: 'profit' })).rejects.toThrow(/unknown sort measure 'profit'; valid: orders, customers, revenue/);
    await expect(runReport(wh, 'sales', { by: 'fortnight' })).rejects.toThrow(/by/);
    await expect(runReport(wh, 'sales', { measures: 'revenue,margin' })).rejects.toThrow(/measures: unknown measure 'margin'; valid: orders, customers, revenue/);
    await expect(runReport(wh, 'sales', { from: '2024-02-30' })).rejects.toThrow(/from: expected a date/);
    await expect(runReport(wh, 'sales', { from: '2024-03-01', to: '2024-01-01' })).rejects.toThrow(/after/);
    await expect(runReport(wh, 'sales', { grupBy: 'region' })).rejects.toThrow(/grupBy/);
    await expect(runReport(wh, 'nope')).rejects.toThrow(/unknown report 'nope'; reports: .*sales/);
  });
});

describe('rep performance', () => {
  it('counts activities by channel, deals, win rate, deal size, cycle, quota and attainment per rep', async () => {
    // Ann: i1 phone, i2 email; created D1, D2, D6; won D1 1000 (20 days), lost D2 → win rate 0.5.
    //   Quota: January uses the month quota (2000), Feb–Mar the quarter's 100/day × 60 days = 6000 → 8000; attainment 1000/8000.
    // Bob: i3 phone; created D4; won D3 600 (2023-12-01 → 2024-02-01 12:00 = 62.5 days). Quota 100/day × 91 = 9100; 600/9100 = 0.0659.
    // Cid: i4 meeting; created D5; won D5 2000 (10 days); no quota.
    // i5 has no employee and i6 is out of range. Total: cycle median of 20, 62.5, 10 = 20; 3600 / 17100 = 0.2105.
    const r = await runReport(wh, 'rep-performance', q1);
    expect(pick(r.rows, ['row_type', 'rep', 'activities', 'activities_phone', 'activities_email', 'activities_meeting', 'deals_created', 'deals_won', 'deals_lost', 'win_rate', 'won_amount', 'avg_deal_size', 'sales_cycle_days', 'quota', 'attainment'])).toEqual([
      { row_type: 'detail', rep: 'Ann', activities: 2, activities_phone: 1, activities_email: 1, activities_meeting: 0, deals_created: 3, deals_won: 1, deals_lost: 1, win_rate: 0.5, won_amount: 1000, avg_deal_size: 1000, sales_cycle_days: 20, quota: 8000, attainment: 0.125 },
      { row_type: 'detail', rep: 'Bob', activities: 1, activities_phone: 1, activities_email: 0, activities_meeting: 0, deals_created: 1, deals_won: 1, deals_lost: 0, win_rate: 1, won_amount: 600, avg_deal_size: 600, sales_cycle_days: 62.5, quota: 9100, attainment: 0.0659 },
      { row_type: 'detail', rep: 'Cid', activities: 1, activities_phone: 0, activities_email: 0, activities_meeting: 1, deals_created: 1, deals_won: 1, deals_lost: 0, win_rate: 1, won_amount: 2000, avg_deal_size: 2000, sales_cycle_days: 10, quota: null, attainment: null },
      { row_type: 'total', rep: null, activities: 4, activities_phone: 2, activities_email: 1, activities_meeting: 1, deals_created: 5, deals_won: 3, deals_lost: 1, win_rate: 0.75, won_amount: 3600, avg_deal_size: 1200, sales_cycle_days: 20, quota: 17100, attainment: 0.2105 },
    ]);
  });

  it('rolls reps up to teams and months', async () => {
    // North in January: Ann's i1, i2; D1 won 1000; quota Jan 2000 (Ann) + 31 × 100 (Bob) = 5100.
    const r = await runReport(wh, 'rep-performance', { ...q1, by: 'month', groupBy: 'team' });
    const jan = r.rows.find((x) => x.period === '2024-01-01' && x.team === 'North')!;
    expect(jan).toMatchObject({ activities: 2, deals_won: 1, won_amount: 1000, quota: 5100, attainment: 0.1961 });
    const febNorth = r.rows.find((x) => x.period === '2024-02-01' && x.team === 'North')!;
    // Feb: i3 (Bob); D3 won 600, D2 lost; created D4, D6; quota 29 × 100 (Ann) + 29 × 100 (Bob) = 5800.
    expect(febNorth).toMatchObject({ activities: 1, deals_won: 1, deals_lost: 1, deals_created: 2, won_amount: 600, quota: 5800, win_rate: 0.5 });
  });
});

describe('quota attainment', () => {
  it('gives quota, won and attainment per rep and quarter', async () => {
    // Q2: Ann wins D6 (700) with no quota; Bob's year quota gives 91 × 100 = 9100 and nothing won. D4 (open, expected
    // 2024-03-15) is overdue today, so it counts in the current month, outside this range.
    const r = await runReport(wh, 'quota-attainment', { from: '2024-01-01', to: '2024-06-30' });
    expect(pick(r.rows.filter((x) => x.row_type === 'detail'), ['period', 'rep', 'quota', 'won_amount', 'attainment', 'gap', 'open_pipeline'])).toEqual([
      { period: '2024-01-01', rep: 'Ann', quota: 8000, won_amount: 1000, attainment: 0.125, gap: 7000, open_pipeline: 0 },
      { period: '2024-01-01', rep: 'Bob', quota: 9100, won_amount: 600, attainment: 0.0659, gap: 8500, open_pipeline: 0 },
      { period: '2024-01-01', rep: 'Cid', quota: null, won_amount: 2000, attainment: null, gap: null, open_pipeline: 0 },
      { period: '2024-04-01', rep: 'Ann', quota: null, won_amount: 700, attainment: null, gap: null, open_pipeline: 0 },
      { period: '2024-04-01', rep: 'Bob', quota: 9100, won_amount: 0, attainment: 0, gap: 9100, open_pipeline: 0 },
    ]);
    expect(r.rows.at(-1)).toMatchObject({ row_type: 'total', quota: 26200, won_amount: 4300 });
  });
});

describe('customer profitability', () => {
  it('nets margin, cost to serve and acquisition cost per region', async () => {
    // EMEA (customers 1, 2): revenue 100 + 30 + 30 + 40 + 10 = 210; cogs 2×20 + 2×5 + (P3: no cost) + 5 + 5 = 60; margin 150 (0.7143).
    //   contacts i1 10 min, i2 0 min, i3 5 min = 3 / 15 min; ticket k1; cost to serve 15 × 1 + 1 × 15 = 30; acquisition: customer 1 → 150.
    //   profit 150 − 30 − 150 = −30, per customer −15; one line without a unit cost.
    // APAC (customer 3): revenue 200, cogs 80, margin 120 (0.6); i4 60 + i5 2 = 62 min, tickets k2, k3 → 62 + 30 = 92; acquisition 150;
    //   profit 120 − 92 − 150 = −122. Customer 4 was acquired in 2023: nothing in range.
    const r = await runReport(wh, 'customer-profitability', q1);
    expect(pick(r.rows, ['row_type', 'region', 'customers', 'buyers', 'revenue', 'cogs', 'gross_margin', 'margin_pct', 'contacts', 'contact_minutes', 'tickets', 'cost_to_serve', 'acquisition_cost', 'profit', 'profit_per_customer', 'lines_without_cost'])).toEqual([
      { row_type: 'detail', region: 'APAC', customers: 1, buyers: 1, revenue: 200, cogs: 80, gross_margin: 120, margin_pct: 0.6, contacts: 2, contact_minutes: 62, tickets: 2, cost_to_serve: 92, acquisition_cost: 150, profit: -122, profit_per_customer: -122, lines_without_cost: 0 },
      { row_type: 'detail', region: 'EMEA', customers: 2, buyers: 2, revenue: 210, cogs: 60, gross_margin: 150, margin_pct: 0.7143, contacts: 3, contact_minutes: 15, tickets: 1, cost_to_serve: 30, acquisition_cost: 150, profit: -30, profit_per_customer: -15, lines_without_cost: 1 },
      { row_type: 'total', region: null, customers: 3, buyers: 3, revenue: 410, cogs: 140, gross_margin: 270, margin_pct: 0.6585, contacts: 5, contact_minutes: 77, tickets: 3, cost_to_serve: 122, acquisition_cost: 300, profit: -152, profit_per_customer: -50.67, lines_without_cost: 1 },
    ]);
  });

  it('takes the cost rates as parameters', async () => {
    // Total cost to serve at 2 per minute and 0 per ticket: 77 × 2 = 154.
    const r = await runReport(wh, 'customer-profitability', { ...q1, groupBy: [], costPerContactMinute: '2', costPerTicket: 0 });
    expect(r.rows[0]).toMatchObject({ cost_to_serve: 154, profit: 270 - 154 - 300 });
    await expect(runReport(wh, 'customer-profitability', { costPerTicket: -1 })).rejects.toThrow(/costPerTicket/);
  });
});

describe('report marts', () => {
  it('read the order-line mart while it is current, the base tables otherwise, with the same numbers', async () => {
    const live = await runReport(wh, 'sales', { ...q1, by: 'none', groupBy: 'category' });
    const profit = await runReport(wh, 'customer-profitability', q1);
    expect(live.meta.notes[0]).toMatch(/joined from the base tables/);
    // Completed and returned orders' lines: o1, o2 (2), o3, o4, o5, o7, o8 = 8 (o6 is cancelled).
    const [refresh] = await refreshReportMarts(wh);
    expect(refresh).toMatchObject({ name: 'order_lines', rows: 8, dataVersion: 0 });
    const fromMart = await runReport(wh, 'sales', { ...q1, by: 'none', groupBy: 'category' });
    expect(fromMart.rows).toEqual(live.rows);
    expect(fromMart.meta.notes.join(' ')).not.toMatch(/base tables/);
    expect((await runReport(wh, 'customer-profitability', q1)).rows).toEqual(profit.rows);
    // A load bumps the data version: the mart is stale and the report goes back to the base tables.
    await wh.run("update warehouse_meta set value = '1' where key = 'data_version'");
    await wh.run("insert into order_lines (order_id, line_no, product_id, quantity, unit_price, line_amount) values ('o4', 2, 'P2', 1, 5, 5)");
    const after = await runReport(wh, 'sales', { ...q1, by: 'none', groupBy: 'category', totals: false });
    expect(after.rows.find((r) => r.category === 'Toys')).toMatchObject({ revenue: 115, units: 6, orders: 4 });
    expect(after.meta.notes[0]).toMatch(/joined from the base tables/);
    await wh.run("delete from order_lines where order_id = 'o4' and line_no = 2");
    await wh.run("update warehouse_meta set value = '0' where key = 'data_version'");
  });
});
