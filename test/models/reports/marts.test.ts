import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { revenueSeries } from '../../../src/models/forecast/revenue.ts';
import { sql } from 'kysely';
import { gridReport, refreshReportMarts, registerReport, runReport } from '../../../src/models/reports/index.ts';
import { customerIdRange, martChangedMessage, martIsCurrent, ordersSource, type OrdersSource } from '../../../src/models/reports/marts.ts';
import type { ReportRow } from '../../../src/models/reports/types.ts';
import { Warehouse } from '../../../src/warehouse/index.ts';
import { tempDir } from '../../helpers.ts';
import { seedReportsFixture, seedSegments } from './fixture.ts';

const q1 = { from: '2024-01-01', to: '2024-03-31' };
let wh: Warehouse;
let cleanup: () => void;

/**
 * The report fixture plus order o9 (customer 4, APAC, 10 March 2024, completed, 130) whose lines repeat
 * a product and a category, and product P4, named 'Widget' like P1 but in category Toys:
 *   line 1 P2 Gadget/Toys 15, line 2 P1 Widget/Tools 50, line 3 P2 Gadget/Toys 15, line 4 P3 Thing/Toys 30,
 *   line 5 P4 Widget/Toys 20 (no unit cost).
 */
beforeAll(async () => {
  const t = tempDir();
  cleanup = t.cleanup;
  wh = await Warehouse.open(`${t.dir}/m.duckdb`);
  await seedReportsFixture(wh);
  await seedSegments(wh);
  await wh.run("insert into products (product_id, name, category, list_price, unit_cost) values ('P4', 'Widget', 'Toys', 20, null)");
  await wh.run(`insert into orders (order_id, customer_id, ordered_at, status, channel, total_amount, item_count, employee_id, campaign_id)
    values ('o9', 4, '2024-03-10T12:00:00Z', 'completed', 'web', 130, 5, 'E3', 'C2')`);
  await wh.run(`insert into order_lines (order_id, line_no, product_id, quantity, unit_price, line_amount) values
    ('o9', 1, 'P2', 1, 15, 15), ('o9', 2, 'P1', 1, 50, 50), ('o9', 3, 'P2', 1, 15, 15), ('o9', 4, 'P3', 1, 30, 30), ('o9', 5, 'P4', 1, 20, 20)`);
});
afterAll(async () => {
  await wh.close();
  cleanup();
});

const pick = (rows: ReportRow[], keys: string[]) => rows.map((r) => Object.fromEntries(keys.map((k) => [k, r[k]])));

/** Report calls whose answers must not depend on whether the marts are used. */
const calls: [string, Record<string, unknown>][] = [
  ['sales', { ...q1, by: 'month' }],
  ['sales', { ...q1, by: 'quarter', groupBy: 'region,category' }],
  ['sales', { ...q1, by: 'month', groupBy: 'rep' }],
  ['sales', { ...q1, by: 'none', groupBy: 'product' }],
  ['sales', { ...q1, by: 'none', groupBy: 'product,category' }],
  ['sales', { ...q1, by: 'week', groupBy: 'category,product_id' }],
  ['sales', { ...q1, by: 'none', groupBy: 'region', filters: { category: 'Toys' } }],
  ['sales', { ...q1, by: 'none', groupBy: 'region', filters: { category: ['Toys', 'Tools'] } }],
  ['sales', { ...q1, by: 'month', groupBy: 'segment,campaign' }],
  ['sales', { ...q1, by: 'month', totals: false, groupBy: 'category' }],
  // Customer and product attributes from the line mart's columns (no join), mixed with joined dimensions;
  // order grain and line grain in two levels (subtotals from the detail groups).
  ['sales', { ...q1, by: 'month', groupBy: 'industry,product' }],
  ['sales', { ...q1, by: 'quarter', groupBy: 'country,acquisition_channel', filters: { category: 'Toys' } }],
  ['sales', { ...q1, by: 'none', groupBy: 'lifecycle_stage,category', filters: { region: ['EMEA', 'APAC'] } }],
  ['sales', { ...q1, by: 'none', groupBy: 'account,category' }],
  ['sales', { ...q1, by: 'week', groupBy: 'region' }],
  ['sales', { ...q1, by: 'month', groupBy: 'rep,sales_channel', measures: 'customers,avg_order_value' }],
  ['customer-profitability', q1],
  ['customer-profitability', { ...q1, groupBy: 'customer_id', sort: 'profit', limit: 2 }],
  // Partial months at both ends (whole February from the monthly mart, the ends from the orders), and none whole.
  ['customer-profitability', { from: '2024-01-05', to: '2024-03-20', groupBy: 'customer_id' }],
  ['customer-profitability', { from: '2024-02-11', to: '2024-02-20', groupBy: 'region' }],
  // Events straight into the groups (bitmaps), whole months from report_customer_months, the ends from the orders.
  ['customer-profitability', { from: '2024-01-05', to: '2024-03-20', groupBy: 'country,segment' }],
  ['customer-profitability', { from: '2023-12-01', to: '2024-03-31', groupBy: 'industry', filters: { region: ['EMEA', 'APAC'] } }],
  ['customer-profitability', { ...q1, by: 'month', groupBy: 'segment' }],
  ['customer-profitability', { ...q1, groupBy: 'owner' }],
  ['customer-profitability', { ...q1, groupBy: 'region', filters: { country: 'JP' } }],
  ['campaign-effectiveness', { ...q1, groupBy: 'campaign,region' }],
  ['campaign-effectiveness', { from: '2023-01-01', to: '2024-03-31', by: 'quarter', groupBy: 'segment' }],
  ['contact-stats', { ...q1, by: 'month', groupBy: 'channel' }],
  ['revenue-forecast', { asOf: '2024-04-15', method: 'drift' }],
];

async function answers(): Promise<ReportRow[][]> {
  const out: ReportRow[][] = [];
  for (const [name, params] of calls) out.push((await runReport(wh, name, params)).rows);
  return out;
}

describe('report marts', () => {
  it('hold the order lines with first-line flags, the orders with their lines summed, and revenue per day', async () => {
    const refresh = await refreshReportMarts(wh);
    // Lines of completed and returned orders: o1, o2 (2), o3, o4, o5, o7, o8, o9 (5) = 13; those 8 orders
    // (o6 is cancelled); 7 days with a completed order (all but o5's, which is returned).
    expect(refresh.map((r) => [r.name, r.rows])).toEqual([
      ['order_lines', 13],
      ['orders', 8],
      ['order_days', 7],
      // Customer-months with a completed order with lines: 1 (Dec, Jan, Feb), 2 (Feb, Mar), 3 (Mar), 4 (Mar).
      ['customer_months', 7],
    ]);
    const flags = await wh.all(
      `select line_no, day::varchar as day, first_in_order, first_in_product, first_in_product_name, first_in_category
       from report_order_lines where order_id = 'o9' order by line_no`,
    );
    expect(flags).toEqual([
      { line_no: 1, day: '2024-03-10', first_in_order: true, first_in_product: true, first_in_product_name: true, first_in_category: true },
      { line_no: 2, day: '2024-03-10', first_in_order: false, first_in_product: true, first_in_product_name: true, first_in_category: true },
      { line_no: 3, day: '2024-03-10', first_in_order: false, first_in_product: false, first_in_product_name: false, first_in_category: false },
      { line_no: 4, day: '2024-03-10', first_in_order: false, first_in_product: true, first_in_product_name: true, first_in_category: false },
      // P4 is a second 'Widget' (after P1 on line 2) and a third Toys line.
      { line_no: 5, day: '2024-03-10', first_in_order: false, first_in_product: true, first_in_product_name: false, first_in_category: false },
    ]);
    // o2: P2 2 × cost 5 + P3 (no cost); o9: P2 5 + P1 20 + P2 5 + P3 none + P4 none; o7 ordered 23:00 UTC on 31 Dec.
    const orders = await wh.all(
      `select order_id, day::varchar as day, lines, line_amount, cogs, lines_without_cost from report_orders where order_id in ('o2', 'o7', 'o9') order by order_id`,
    );
    expect(orders).toEqual([
      { order_id: 'o2', day: '2024-02-10', lines: 2, line_amount: 60, cogs: 10, lines_without_cost: 1 },
      { order_id: 'o7', day: '2023-12-31', lines: 1, line_amount: 500, cogs: 200, lines_without_cost: 0 },
      { order_id: 'o9', day: '2024-03-10', lines: 5, line_amount: 130, cogs: 30, lines_without_cost: 2 },
    ]);
    // Completed orders per day: 2024-03-31 holds o8 (10); the returned o5 (1 March) is not revenue.
    expect(await wh.all("select day::varchar as day, orders, amount from report_order_days where day in ('2024-03-01', '2024-03-31') order by day")).toEqual([
      { day: '2024-03-31', orders: 1, amount: 10 },
    ]);
    expect(await customerIdRange(wh)).toEqual({ lo: 1, hi: 4 });
  });

  it('count orders at line grain by product, product name and category without counting an order twice', async () => {
    await refreshReportMarts(wh);
    // Completed orders in Q1 with lines: o1 (Widget), o2 (Gadget, Thing), o3 (Gadget), o4 (Widget), o8 (Gadget), o9 (all four products).
    const byProduct = await runReport(wh, 'sales', { ...q1, by: 'none', groupBy: 'product', measures: 'orders,customers,revenue' });
    expect(pick(byProduct.rows, ['row_type', 'product', 'orders', 'customers', 'revenue'])).toEqual([
      { row_type: 'detail', product: 'Gadget', orders: 4, customers: 3, revenue: 110 },
      { row_type: 'detail', product: 'Thing', orders: 2, customers: 2, revenue: 60 },
      { row_type: 'detail', product: 'Widget', orders: 3, customers: 3, revenue: 370 },
      { row_type: 'total', product: null, orders: 6, customers: 4, revenue: 540 },
    ]);
    // Widget is two products: P1 (Tools) in o1, o4, o9 and P4 (Toys) in o9.
    const byProductCategory = await runReport(wh, 'sales', { ...q1, by: 'none', groupBy: 'category,product', measures: 'orders' });
    expect(pick(byProductCategory.rows, ['row_type', 'category', 'product', 'orders'])).toEqual([
      { row_type: 'detail', category: 'Tools', product: 'Widget', orders: 3 },
      { row_type: 'subtotal', category: 'Tools', product: null, orders: 3 },
      { row_type: 'detail', category: 'Toys', product: 'Gadget', orders: 4 },
      { row_type: 'detail', category: 'Toys', product: 'Thing', orders: 2 },
      { row_type: 'detail', category: 'Toys', product: 'Widget', orders: 1 },
      { row_type: 'subtotal', category: 'Toys', product: null, orders: 4 },
      { row_type: 'total', category: null, product: null, orders: 6 },
    ]);
    // Filtered to Toys: orders with a Toys line; to Toys or Tools: every order once.
    const toys = await runReport(wh, 'sales', { ...q1, by: 'none', groupBy: 'region', filters: { category: 'Toys' }, measures: 'orders,customers' });
    expect(pick(toys.rows, ['region', 'orders', 'customers'])).toEqual([
      { region: 'APAC', orders: 1, customers: 1 },
      { region: 'EMEA', orders: 3, customers: 2 },
      { region: null, orders: 4, customers: 3 },
    ]);
    const both = await runReport(wh, 'sales', { ...q1, by: 'none', groupBy: [], filters: { category: ['Toys', 'Tools'] }, measures: 'orders' });
    expect(both.rows).toEqual([{ row_type: 'total', orders: 6 }]);
  });

  it('give the same answers from the marts as from the base tables, and fall back after a load', async () => {
    await wh.run('delete from report_marts');
    expect(await martIsCurrent(wh, 'orders')).toBe(false);
    expect(await customerIdRange(wh)).toBeNull();
    const base = await answers();
    const seriesBase = await revenueSeries(wh, { asOf: '2024-04-15', sources: ['orders'] });
    await refreshReportMarts(wh);
    expect(await martIsCurrent(wh, 'orders')).toBe(true);
    const fromMarts = await answers();
    calls.forEach(([name, params], i) => expect({ name, params, rows: fromMarts[i] }).toEqual({ name, params, rows: base[i] }));
    expect(await revenueSeries(wh, { asOf: '2024-04-15', sources: ['orders'] })).toEqual(seriesBase);

    // A load after the marts were built: a new completed order (customer 5, a new customer id above the
    // marts' range) and a data version bump. Reports go back to the base tables and count it.
    await wh.run("insert into customers (customer_id, region, country) values (5, 'EMEA', 'FR')");
    await wh.run(`insert into orders (order_id, customer_id, ordered_at, status, channel, total_amount, item_count, employee_id, campaign_id)
      values ('o10', 5, '2024-01-20T00:00:00Z', 'completed', 'web', 40, 1, 'E1', null)`);
    await wh.run("insert into order_lines (order_id, line_no, product_id, quantity, unit_price, line_amount) values ('o10', 1, 'P2', 2, 20, 40)");
    await wh.run("update warehouse_meta set value = (value::bigint + 1)::varchar where key = 'data_version'");
    expect(await martIsCurrent(wh, 'orders')).toBe(false);
    expect(await customerIdRange(wh)).toBeNull();
    const stale = await answers();
    const jan = (rows: ReportRow[]) => rows.find((r) => r.period === '2024-01-01');
    // January before: o1 (customer 1, 100); after the load: o1 + o10 (customer 5, 40).
    expect(pick([jan(base[0])!], ['orders', 'customers', 'revenue'])).toEqual([{ orders: 1, customers: 1, revenue: 100 }]);
    expect(pick([jan(stale[0])!], ['orders', 'customers', 'revenue'])).toEqual([{ orders: 2, customers: 2, revenue: 140 }]);
    expect((await runReport(wh, 'sales', { ...q1, by: 'none', groupBy: 'category' })).meta.notes[0]).toMatch(/base tables/);
    expect((await runReport(wh, 'campaign-effectiveness', q1)).meta.notes[0]).toMatch(/base tables/);
    const seriesStale = await revenueSeries(wh, { asOf: '2024-04-15', sources: ['orders'] });
    expect(seriesStale.find((m) => m.month === '2024-01-01')?.orders_revenue).toBe(140);

    // Rebuilt: the marts agree with the base tables again.
    await refreshReportMarts(wh);
    expect(await customerIdRange(wh)).toEqual({ lo: 1, hi: 5 });
    const rebuilt = await answers();
    calls.forEach(([name, params], i) => expect({ name, params, rows: rebuilt[i] }).toEqual({ name, params, rows: stale[i] }));
    expect(await revenueSeries(wh, { asOf: '2024-04-15', sources: ['orders'] })).toEqual(seriesStale);
  });

  it('give per-customer profitability row by row (facts one row per customer) as a grouped query would', async () => {
    for (const range of [q1, { from: '2024-01-05', to: '2024-03-20' }]) {
      // Row by row (detail rows projected, the total one aggregate) …
      const rowwise = (await runReport(wh, 'customer-profitability', { ...range, groupBy: 'customer_id' })).rows;
      // … against a plain group by customer_id (no totals) and the report without group-bys (the total).
      const grouped = (await runReport(wh, 'customer-profitability', { ...range, groupBy: 'customer_id', totals: false })).rows;
      const [total] = (await runReport(wh, 'customer-profitability', { ...range, groupBy: [] })).rows;
      expect(rowwise.length).toBeGreaterThan(2);
      expect(rowwise.slice(0, -1)).toEqual(grouped);
      expect(rowwise.at(-1)).toEqual({ ...total, customer_id: null });
      // Top 3 by profit: the three most profitable detail rows (the limit cuts the total).
      const top = (await runReport(wh, 'customer-profitability', { ...range, groupBy: 'customer_id', sort: 'profit', limit: 3 })).rows;
      const byProfit = [...grouped].sort((a, b) => Number(b.profit) - Number(a.profit) || Number(a.customer_id) - Number(b.customer_id));
      expect(grouped.length).toBeGreaterThanOrEqual(3);
      expect(top).toEqual(byProfit.slice(0, 3));
      // Any sort measure and limit (the detail rows are picked by the sort measure before the others are
      // computed): ties broken by customer id, the total after the details when the limit reaches it.
      for (const sort of ['profit', 'contacts', 'tickets', 'revenue', 'margin_pct'])
        for (const limit of [1, 2, 3, grouped.length, grouped.length + 1, grouped.length + 5]) {
          const got = (await runReport(wh, 'customer-profitability', { ...range, groupBy: 'customer_id', sort, limit })).rows;
          const value = (r: ReportRow) => (r[sort] === null ? -Infinity : Number(r[sort]));
          const want = [...[...grouped].sort((a, b) => value(b) - value(a) || Number(a.customer_id) - Number(b.customer_id)), rowwise.at(-1)].slice(0, limit);
          expect({ sort, limit, rows: got }).toEqual({ sort, limit, rows: want });
        }
      // The fixture has ties in those sorts (else the tie order would go untested).
      expect(new Set(grouped.map((r) => r.contacts)).size).toBeLessThan(grouped.length);
    }
  });

  it('read the mart and its version in one snapshot: a load between the check and the query fails the query, and the report runs again', async () => {
    await refreshReportMarts(wh);
    const bump = () => wh.run("update warehouse_meta set value = (value::bigint + 1)::varchar where key = 'data_version'");
    const source = await ordersSource(wh);
    expect(source.fromMart).toBe(true);
    await bump();
    await expect(wh.db.selectFrom(source.orders('2024-01-01', '2024-04-01').as('o')).selectAll().execute()).rejects.toThrow(martChangedMessage);

    // A report whose first prepare sees the mart current and then a load commits before its query.
    await refreshReportMarts(wh);
    let loads = 0;
    registerReport(
      gridReport({
        name: 'test-orders-during-load',
        title: 'Orders (a load during the report)',
        description: 'test',
        defaultBy: 'none',
        defaultGroupBy: [],
        dimensions: {},
        measures: [{ name: 'orders', label: 'Orders', format: 'count', expr: sql`count(*)` }],
        prepare: async (w) => {
          const s = await ordersSource(w);
          if (loads++ === 0) await bump();
          return s;
        },
        facts: (p, _needs, s: OrdersSource) => sql`(select * from ${s.orders(p.from, p.toExclusive)} as o where o.status = 'completed')`,
        notes: (_p, _needs, s: OrdersSource) => (s.note ? [s.note] : []),
      }),
    );
    const r = await runReport(wh, 'test-orders-during-load', q1);
    expect(loads).toBe(2);
    // The second run reads the base tables (the mart is stale now), with the note saying so.
    const [base] = await wh.all<{ n: number }>("select count(*) as n from orders where status = 'completed' and ordered_at >= '2024-01-01' and ordered_at < '2024-04-01'");
    expect(r.rows).toEqual([{ row_type: 'total', orders: base.n }]);
    expect(r.meta.notes[0]).toMatch(/base tables/);
  });

  it('give the revenue forecast its history from the base tables when a load commits between its mart check and its query', async () => {
    await refreshReportMarts(wh);
    const asOf = { asOf: '2024-04-15', sources: ['orders'] };
    const before = await revenueSeries(wh, asOf);
    // A load right after martIsCurrent read the version: a completed order of 25 on 2 February, version bumped.
    const version = wh.dataVersion.bind(wh);
    const spy = vi.spyOn(wh, 'dataVersion').mockImplementationOnce(async () => {
      const v = await version();
      await wh.run(`insert into orders (order_id, customer_id, ordered_at, status, channel, total_amount, item_count, employee_id, campaign_id)
        values ('o11', 1, '2024-02-02T00:00:00Z', 'completed', 'web', 25, 1, 'E1', null)`);
      await wh.run("update warehouse_meta set value = (value::bigint + 1)::varchar where key = 'data_version'");
      return v;
    });
    const after = await revenueSeries(wh, asOf);
    expect(spy).toHaveBeenCalled();
    spy.mockRestore();
    const feb = (s: typeof before) => s.find((m) => m.month === '2024-02-01')?.orders_revenue ?? 0;
    expect(feb(after)).toBe(feb(before) + 25);
  });
});
