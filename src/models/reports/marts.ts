import { sql, type RawBuilder } from 'kysely';
import { sqlFile, type Warehouse } from '../../warehouse/index.ts';
import { sqlFragment } from './sql-fragment.ts';

/**
 * Report marts: denormalised copies of what the reports would otherwise join on every request
 * (20M order lines × 10M orders at the 1M-customer scale). Built by `crm models run reports`; a
 * report reads a mart only while it was built from the warehouse's current data_version, and falls
 * back to the base tables otherwise — so a stale mart can make a report slower, never wrong.
 */
export interface MartRefresh {
  name: string;
  rows: number;
  durationMs: number;
  dataVersion: number;
}

/** The marts refreshReportMarts builds; a report reading several needs all of them current. */
export const martNames = ['order_lines', 'orders', 'order_days', 'customer_months'] as const;
export type MartName = (typeof martNames)[number];

/**
 * Rebuilds report_order_lines, report_orders, report_order_days and report_customer_months in one transaction (readers keep seeing the old rows
 * until commit), and records for each the data version it was built from and the range of customer ids
 * in the warehouse at that version (see customerIdRange).
 */
export async function refreshReportMarts(wh: Warehouse): Promise<MartRefresh[]> {
  // Each mart's build time (the first also holds the deletes); the customer-id range is not counted.
  let mark = performance.now();
  const lap = () => {
    const now = performance.now();
    const ms = Math.round(now - mark);
    mark = now;
    return ms;
  };
  const dataVersion = await wh.dataVersion();
  return wh.transaction(async (tx) => {
    await tx.run('delete from report_order_lines');
    await tx.run('delete from report_orders');
    await tx.run('delete from report_order_days');
    await tx.run('delete from report_customer_months');
    // Exactly the rows reports/order-lines selects, over all time, with the UTC day and the flags that
    // count orders at line grain (first line of the order, and of each product, product name and
    // category in it), then the customer and product attributes the sales report groups by, joined as
    // the report joins them (after the flags: the same rows as a per-request join); sorted by the UTC month
    // of ordered_at (zone maps then skip the months a report's date range excludes), then by customer: the
    // distinct-customer bitmaps of a report are then written in address order within each month instead
    // of at random (~0.6 CPU-s less for 160 bitmaps over 10 M lines).
    const lines = await tx.run(
      `insert into report_order_lines by name
       select w.*, c.region, c.country, coalesce(c.industry, a.industry) as industry, c.acquisition_channel, c.lifecycle_stage,
         pr.name as product_name, pr.category
       from (
         select l.*,
           cast(make_timestamp(epoch_us(l.ordered_at)) as date) as day,
           row_number() over (partition by l.order_id order by l.line_no) = 1 as first_in_order,
           row_number() over (partition by l.order_id, l.product_id order by l.line_no) = 1 as first_in_product,
           row_number() over (partition by l.order_id, coalesce(p.name, l.product_id) order by l.line_no) = 1 as first_in_product_name,
           row_number() over (partition by l.order_id, coalesce(p.category, '(none)') order by l.line_no) = 1 as first_in_category
         from (${sqlFile('reports/order-lines').replace(/;\s*$/, '')}) as l
         left join (select product_id, any_value(name) as name, any_value(category) as category from products group by product_id) as p
           on p.product_id = l.product_id
       ) as w
       left join customers as c on c.customer_id = w.customer_id
       left join accounts as a on a.account_id = c.account_id
       left join products as pr on pr.product_id = w.product_id
       order by date_trunc('month', w.day), w.customer_id, w.order_id, w.line_no`,
      { from: '-infinity', to: 'infinity' },
    );
    const linesMs = lap();
    // Exactly the rows reports/sales-orders selects, with their lines (from the mart just built) summed.
    const orders = await tx.run(
      `insert into report_orders
       select o.order_id, o.customer_id, o.employee_id, o.campaign_id, o.sales_channel, o.at,
         cast(make_timestamp(epoch_us(o.at)) as date), o.status, o.amount, o.units,
         coalesce(l.lines, 0), l.line_amount, l.cogs, coalesce(l.lines_without_cost, 0)
       from (${sqlFile('reports/sales-orders').replace(/;\s*$/, '')}) as o
       left join (
         select order_id, count(*) as lines, sum(line_amount) as line_amount, sum(quantity * unit_cost) as cogs,
           count(*) filter (where unit_cost is null) as lines_without_cost
         from report_order_lines
         group by order_id
       ) as l on l.order_id = o.order_id
       order by o.at, o.order_id`,
      { from: '-infinity', to: 'infinity' },
    );
    const ordersMs = lap();
    const days = await tx.run(
      `insert into report_order_days
       select day, count(*), sum(amount) from report_orders where status = 'completed' group by day order by day`,
    );
    const daysMs = lap();
    // Per customer and month, with the customer's attributes (joined as the reports join them).
    const months = await tx.run(
      `insert into report_customer_months by name
       select m.*, c.region, c.country, coalesce(c.industry, a.industry) as industry, c.acquisition_channel, c.lifecycle_stage
       from (
         select customer_id, cast(date_trunc('month', day) as date) as month, count(*) as sales, sum(line_amount) as line_amount,
           sum(cogs) as cogs, sum(lines_without_cost) as lines_without_cost
         from report_orders
         where status = 'completed' and lines > 0
         group by customer_id, month
       ) as m
       left join customers as c on c.customer_id = m.customer_id
       left join accounts as a on a.account_id = c.account_id
       order by m.month, m.customer_id`,
    );
    const monthsMs = lap();
    const [ids] = await tx.all<{ lo: number | null; hi: number | null }>(sqlFile('reports/customer-id-range'));
    await tx.run('delete from report_marts');
    const built: (MartRefresh & { name: MartName })[] = [
      { name: 'order_lines', rows: lines, durationMs: linesMs, dataVersion },
      { name: 'orders', rows: orders, durationMs: ordersMs, dataVersion },
      { name: 'order_days', rows: days, durationMs: daysMs, dataVersion },
      { name: 'customer_months', rows: months, durationMs: monthsMs, dataVersion },
    ];
    for (const m of built)
      await tx.run('insert into report_marts values ($name, $version, now(), $rows, $ms, $lo, $hi)', {
        name: m.name, version: dataVersion, rows: m.rows, ms: m.durationMs, lo: ids.lo, hi: ids.hi,
      });
    return built;
  });
}

/** The message of the error martGuard raises (runReport runs the report again once on it). */
export const martChangedMessage = 'changed while the report ran';

/**
 * A condition for the WHERE of a query that reads `mart`: true while the mart is current, an error when
 * it is not — checked in the query's own snapshot (queries/reports/mart-guard.sql).
 */
export function martGuard(name: MartName): RawBuilder<unknown> {
  return sqlFragment('reports/mart-guard', { name });
}

/** Whether a mart was built from the warehouse's current data version. */
export async function martIsCurrent(wh: Warehouse, name: MartName): Promise<boolean> {
  const [row] = await wh.all<{ data_version: number }>('select data_version from report_marts where name = $name', { name });
  return row !== undefined && Number(row.data_version) === (await wh.dataVersion());
}

/**
 * The smallest and largest customer id in the warehouse (customers and every table with a customer_id
 * the reports read) when the marts were built — known only while they are current, i.e. while no load
 * has happened since. Reports count distinct customers over this range as bitmaps (exact, and much
 * cheaper than count(distinct) under rollup). Null when the marts are stale or there are no customers.
 */
export async function customerIdRange(wh: Warehouse): Promise<{ lo: number; hi: number } | null> {
  const [row] = await wh.all<{ data_version: number; lo: number | null; hi: number | null }>(
    "select data_version, customer_id_min as lo, customer_id_max as hi from report_marts where name = 'orders'",
  );
  if (!row || row.lo === null || row.hi === null || Number(row.data_version) !== (await wh.dataVersion())) return null;
  return { lo: Number(row.lo), hi: Number(row.hi) };
}

export interface LinesSource {
  /** Order-line facts for a range: columns of report_order_lines (the base-table fallback lacks day and the first_in_* flags). */
  lines(from: string, toExclusive: string): RawBuilder<unknown>;
  /** True when the facts come from the mart (day and first_in_* columns present). */
  fromMart: boolean;
  note?: string;
}

/** The note a report adds when it computes from the base tables because `mart` is stale. */
export const staleNote = (mart: string) =>
  `Computed from the base tables (the ${mart} mart is missing or older than the last load); \`crm models run reports\` makes this faster.`;

/** The order-line facts: from the mart when it is current, else from the base tables (with a note). */
export async function orderLinesSource(wh: Warehouse): Promise<LinesSource> {
  if (await martIsCurrent(wh, 'order_lines'))
    return { fromMart: true, lines: (from, to) => sql`(select * from ${sqlFragment('reports/order-lines-mart', { from, to })} as l where ${martGuard('order_lines')})` };
  return {
    fromMart: false,
    lines: (from, to) => sqlFragment('reports/order-lines', { from, to }),
    note: 'Order lines were joined from the base tables (the report_order_lines mart is missing or older than the last load); `crm models run reports` makes this faster.',
  };
}

export interface OrdersSource {
  /** Completed and returned orders in a range with their lines summed: the columns of report_orders. */
  orders(from: string, toExclusive: string): RawBuilder<unknown>;
  fromMart: boolean;
  note?: string;
}

/** Order facts with line sums: from report_orders when current, else computed from the base tables (with a note). */
export async function ordersSource(wh: Warehouse): Promise<OrdersSource> {
  if (await martIsCurrent(wh, 'orders'))
    return { fromMart: true, orders: (from, to) => sql`(select * from ${sqlFragment('reports/orders-mart', { from, to })} as o where ${martGuard('orders')})` };
  return { fromMart: false, orders: (from, to) => sqlFragment('reports/orders-with-lines', { from, to }), note: staleNote('report_orders') };
}
