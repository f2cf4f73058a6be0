import { sql, type RawBuilder } from 'kysely';
import { gridReport, type Dimension, type GridParams, type MeasureContext } from '../grid.ts';
import { campaignDimensions, customerDimensions, orderLineMartDimensions, productDimensions, repDimensions } from '../dimensions.ts';
import { orderLinesSource, ordersSource, type LinesSource, type OrdersSource } from '../marts.ts';
import { sqlFragment } from '../sql-fragment.ts';

type Source = { grain: 'lines'; lines: LinesSource } | { grain: 'orders'; orders: OrdersSource };

const lineDims = ['product', 'product_id', 'category'];

function keyedBy(dims: Record<string, Dimension>, column: 'employee_id' | 'campaign_id'): Record<string, Dimension> {
  const countValues = `select count(distinct ${column}) + 1 as n from report_orders`;
  return Object.fromEntries(Object.entries(dims).map(([k, d]) => [k, { ...d, countValues }]));
}

/**
 * The flag of report_order_lines that marks one line per order and per value of `lineKeys` (the
 * line-level dimensions a rollup level groups by, or filters on one value of), so that orders are
 * counted as count(*) of flagged lines; null when no flag fits (count(distinct order_id) then).
 * product and category are attributes of product_id, so first_in_product serves any set holding product_id.
 */
function orderFlag(lineKeys: Set<string>): string | null {
  if (lineKeys.size === 0) return 'first_in_order';
  if (lineKeys.has('product_id')) return 'first_in_product';
  if (lineKeys.size === 1 && lineKeys.has('product')) return 'first_in_product_name';
  if (lineKeys.size === 1 && lineKeys.has('category')) return 'first_in_category';
  return null;
}

/** Orders with `status`: one row each at order grain; at line grain flagged lines (mart) or distinct order ids. */
function orders(p: GridParams, source: Source | undefined, ctx: MeasureContext, status: 'completed' | 'returned'): RawBuilder<unknown> {
  const st = sql.lit(status);
  // Only when no flag fits (ctx.aggregate makes the grid aggregate in one level).
  const distinct = () => ctx.aggregate(sql`count(distinct f.order_id) filter (where f.status = ${st})`);
  if (!source || source.grain === 'orders') return source ? ctx.count(sql`f.status = ${st}`) : distinct();
  if (!source.lines.fromMart) return distinct();
  const filtered = Object.entries(p.filters).filter(([k]) => lineDims.includes(k));
  return ctx.perLevel((levelKeys) => {
    const keys = new Set(levelKeys.filter((k) => lineDims.includes(k)));
    // A filter on one value of a line dimension acts like grouping by it; on several values, an order
    // with lines in two of them must still count once, which no flag gives.
    for (const [k, values] of filtered) {
      if (keys.has(k)) continue;
      if (values.length !== 1) return distinct();
      keys.add(k);
    }
    const flag = orderFlag(keys);
    return flag ? ctx.count(sql`f.status = ${st} and ${sql.ref(`f.${flag}`)}`) : distinct();
  });
}

/** Sales by period × product / category / region / rep (and the other customer and campaign dimensions). */
export const salesReport = gridReport({
  name: 'sales',
  title: 'Sales',
  description: 'Orders, revenue, customers and average order value by period × product, category, region, rep, channel, segment…',
  defaultBy: 'month',
  defaultGroupBy: [],
  dimensions: {
    ...productDimensions,
    ...customerDimensions,
    // Rep and campaign dimensions are functions of the order's employee_id / campaign_id: their values are
    // bounded by the ids the orders carry (read only while the marts are current, as bitmaps need).
    ...keyedBy(repDimensions, 'employee_id'),
    ...keyedBy(campaignDimensions, 'campaign_id'),
    sales_channel: { label: 'Sales channel', expr: sql`f.sales_channel`, countValues: 'select count(distinct sales_channel) as n from report_orders' },
  },
  usesDistinctCustomers: true,
  decomposable: true,
  // At order grain an order is one row (count(*)); at line grain one flagged line per order (or distinct order ids).
  measures: (p, _needs, ctx) => {
    const source = ctx.prepared as Source | undefined;
    const completed = orders(p, source, ctx, 'completed');
    const isCompleted = sql`f.status = 'completed'`;
    // amount and units are DECIMAL and integers: sums of partial sums are exact (see GridSpec.decomposable).
    const revenue = ctx.sum(sql`f.amount`, isCompleted);
    return [
      { name: 'orders', label: 'Orders', format: 'count', expr: completed },
      { name: 'customers', label: 'Customers', format: 'count', expr: ctx.distinctCustomers(isCompleted) },
      { name: 'revenue', label: 'Revenue', format: 'currency', expr: sql`coalesce(${revenue}, 0)` },
      { name: 'units', label: 'Units', format: 'count', expr: sql`coalesce(${ctx.sum(sql`f.units`, isCompleted)}, 0)` },
      { name: 'avg_order_value', label: 'Average order value', format: 'currency', expr: sql`${revenue} / nullif(${completed}, 0)` },
      { name: 'returned_orders', label: 'Returned orders', format: 'count', expr: orders(p, source, ctx, 'returned') },
      { name: 'returned_amount', label: 'Returned amount', format: 'currency', expr: sql`coalesce(${ctx.sum(sql`f.amount`, sql`f.status = 'returned'`)}, 0)` },
    ];
  },
  prepare: async (wh, _p, needs): Promise<Source> =>
    needs.has('lines') ? { grain: 'lines', lines: await orderLinesSource(wh) } : { grain: 'orders', orders: await ordersSource(wh) },
  // From the line mart, the customer and product attributes are its columns (no join per request).
  factDimensions: (s: Source) => (s.grain === 'lines' && s.lines.fromMart ? orderLineMartDimensions : undefined),
  dayColumn: (s: Source) => ((s.grain === 'lines' ? s.lines.fromMart : s.orders.fromMart) ? sql`f.day` : undefined),
  facts: (p, _needs, s: Source) => {
    if (s.grain === 'lines') {
      const mart = s.lines.fromMart
        ? sql`, l.day, l.first_in_order, l.first_in_product, l.first_in_product_name, l.first_in_category,
            l.region, l.country, l.industry, l.acquisition_channel, l.lifecycle_stage, l.product_name, l.category`
        : sql``;
      return sql`(select l.order_id, l.customer_id, l.employee_id, l.campaign_id, l.sales_channel, l.ordered_at as at, l.status,
              l.product_id, l.line_amount as amount, l.quantity as units${mart}
            from ${s.lines.lines(p.from, p.toExclusive)} as l)`;
    }
    if (s.orders.fromMart)
      return sql`(select o.order_id, o.customer_id, o.employee_id, o.campaign_id, o.sales_channel, o.ordered_at as at, o.day, o.status, o.amount, o.units
            from ${s.orders.orders(p.from, p.toExclusive)} as o)`;
    return sqlFragment('reports/sales-orders', { from: p.from, to: p.toExclusive });
  },
  notes: (_p, needs, s: Source) => [
    ...(s.grain === 'lines' && s.lines.note ? [s.lines.note] : []),
    needs.has('lines')
      ? 'Grouped by product or category: revenue is the sum of order-line amounts of completed orders (negative lines are returned units), units the line quantities.'
      : 'Revenue is the total amount of completed orders; units their item counts. Orders with status returned are shown apart; pending and cancelled orders are excluded.',
    'Orders are placed in the period by ordered_at (UTC).',
  ],
});
