import { sql } from 'kysely';
import { gridReport } from '../grid.ts';
import { campaignDimensions, customerDimensions, productDimensions, repDimensions } from '../dimensions.ts';
import { orderLinesSource, type LinesSource } from '../marts.ts';
import { sqlFragment } from '../sql-fragment.ts';

function orders(needs: Set<string>, status: 'completed' | 'returned') {
  return needs.has('lines')
    ? sql`count(distinct f.order_id) filter (where f.status = ${sql.lit(status)})`
    : sql`count(*) filter (where f.status = ${sql.lit(status)})`;
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
    ...repDimensions,
    ...campaignDimensions,
    sales_channel: { label: 'Sales channel', expr: sql`f.sales_channel` },
  },
  // At order grain an order is one row (count(*)); at line grain orders must be counted distinct.
  measures: (_p, needs) => [
    { name: 'orders', label: 'Orders', format: 'count', expr: orders(needs, 'completed') },
    { name: 'customers', label: 'Customers', format: 'count', expr: sql`count(distinct f.customer_id) filter (where f.status = 'completed')` },
    { name: 'revenue', label: 'Revenue', format: 'currency', expr: sql`coalesce(sum(f.amount) filter (where f.status = 'completed'), 0)` },
    { name: 'units', label: 'Units', format: 'count', expr: sql`coalesce(sum(f.units) filter (where f.status = 'completed'), 0)` },
    {
      name: 'avg_order_value',
      label: 'Average order value',
      format: 'currency',
      expr: sql`sum(f.amount) filter (where f.status = 'completed') / nullif(${orders(needs, 'completed')}, 0)`,
    },
    { name: 'returned_orders', label: 'Returned orders', format: 'count', expr: orders(needs, 'returned') },
    { name: 'returned_amount', label: 'Returned amount', format: 'currency', expr: sql`coalesce(sum(f.amount) filter (where f.status = 'returned'), 0)` },
  ],
  prepare: async (wh, _p, needs) => (needs.has('lines') ? orderLinesSource(wh) : null),
  facts: (p, needs, lines: LinesSource | null) =>
    lines
      ? sql`(select l.order_id, l.customer_id, l.employee_id, l.campaign_id, l.sales_channel, l.ordered_at as at, l.status,
              l.product_id, l.line_amount as amount, l.quantity as units
            from ${lines.lines(p.from, p.toExclusive)} as l)`
      : sqlFragment('reports/sales-orders', { from: p.from, to: p.toExclusive }),
  notes: (_p, needs, lines: LinesSource | null) => [
    ...(lines?.note ? [lines.note] : []),
    needs.has('lines')
      ? 'Grouped by product or category: revenue is the sum of order-line amounts of completed orders (negative lines are returned units), units the line quantities.'
      : 'Revenue is the total amount of completed orders; units their item counts. Orders with status returned are shown apart; pending and cancelled orders are excluded.',
    'Orders are placed in the period by ordered_at (UTC).',
  ],
});
