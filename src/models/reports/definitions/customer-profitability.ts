import { sql } from 'kysely';
import { z } from 'zod';
import { gridReport } from '../grid.ts';
import { customerDimensions } from '../dimensions.ts';
import { numberParam } from '../params.ts';
import { orderLinesSource, type LinesSource } from '../marts.ts';
import { sqlFragment } from '../sql-fragment.ts';

const defaults = { costPerContactMinute: 1, costPerTicket: 15 };

/** Customer profitability: revenue, margin, cost to serve, acquisition cost, profit. */
export const customerProfitabilityReport = gridReport({
  name: 'customer-profitability',
  title: 'Customer profitability',
  description: 'Revenue, gross margin, cost to serve (contact minutes and tickets), acquisition cost and profit per customer group or customer',
  defaultBy: 'none',
  defaultGroupBy: ['region'],
  dimensions: {
    ...customerDimensions,
    owner: { label: 'Account owner', expr: sql`coalesce(e.name, c.owner_id, '(none)')`, joins: ['customer', 'employee'] },
  },
  extraParams: {
    costPerContactMinute: numberParam.pipe(z.number().min(0)).default(defaults.costPerContactMinute),
    costPerTicket: numberParam.pipe(z.number().min(0)).default(defaults.costPerTicket),
  },
  measures: (p) => {
    const revenue = sql`coalesce(sum(f.revenue), 0)`;
    const cogs = sql`coalesce(sum(f.cogs), 0)`;
    const serve = sql`(coalesce(sum(f.minutes), 0) * ${p.costPerContactMinute} + count(*) filter (where f.kind = 'ticket') * ${p.costPerTicket})`;
    const acquisition = sql`coalesce(sum(f.acquisition_cost), 0)`;
    const profit = sql`(${revenue} - ${cogs} - ${serve} - ${acquisition})`;
    return [
      { name: 'customers', label: 'Customers', format: 'count', description: 'customers with any sale, contact, ticket or acquisition in the range', expr: sql`count(distinct f.customer_id)` },
      { name: 'buyers', label: 'Buyers', format: 'count', expr: sql`count(distinct f.customer_id) filter (where f.kind = 'sale')` },
      { name: 'revenue', label: 'Revenue', format: 'currency', expr: revenue },
      { name: 'cogs', label: 'Cost of goods', format: 'currency', expr: cogs },
      { name: 'gross_margin', label: 'Gross margin', format: 'currency', expr: sql`${revenue} - ${cogs}` },
      { name: 'margin_pct', label: 'Gross margin %', format: 'percent', expr: sql`(${revenue} - ${cogs}) / nullif(${revenue}, 0)` },
      { name: 'contacts', label: 'Contacts', format: 'count', expr: sql`count(*) filter (where f.kind = 'contact')` },
      { name: 'contact_minutes', label: 'Contact minutes', format: 'minutes', expr: sql`coalesce(sum(f.minutes), 0)` },
      { name: 'tickets', label: 'Tickets', format: 'count', expr: sql`count(*) filter (where f.kind = 'ticket')` },
      { name: 'cost_to_serve', label: 'Cost to serve', format: 'currency', expr: serve },
      { name: 'acquisition_cost', label: 'Acquisition cost', format: 'currency', expr: acquisition },
      { name: 'profit', label: 'Profit', format: 'currency', expr: profit },
      { name: 'profit_per_customer', label: 'Profit per customer', format: 'currency', expr: sql`${profit} / nullif(count(distinct f.customer_id), 0)` },
      { name: 'lines_without_cost', label: 'Lines without unit cost', format: 'count', expr: sql`count(*) filter (where f.cost_missing)` },
    ];
  },
  prepare: (wh) => orderLinesSource(wh),
  facts: (p, _needs, lines: LinesSource) => sql`(
    select l.customer_id, l.employee_id, l.ordered_at as at, 'sale' as kind, l.line_amount as revenue,
      l.quantity * l.unit_cost as cogs, l.unit_cost is null as cost_missing, null::double as minutes, null::double as acquisition_cost
    from ${lines.lines(p.from, p.toExclusive)} as l
    where l.status = 'completed'
    union all
    select * from ${sqlFragment('reports/customer-costs', { from: p.from, to: p.toExclusive })} as c
  )`,
  notes: (p, _needs, lines: LinesSource) => [
    ...(lines.note ? [lines.note] : []),
    'Revenue = order-line amounts of completed orders (negative lines are returns); cost of goods = quantity × the product’s unit cost (lines of products without a unit cost count no cost: see lines_without_cost).',
    `Cost to serve = contact minutes × ${p.costPerContactMinute} + tickets × ${p.costPerTicket} (parameters costPerContactMinute and costPerTicket).`,
    "Acquisition cost: each customer acquired in the range carries its acquisition campaign's cost divided by all customers that campaign acquired.",
    'Profit = revenue - cost of goods - cost to serve - acquisition cost.',
  ],
});
