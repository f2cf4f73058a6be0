import { sql } from 'kysely';
import { z } from 'zod';
import { gridReport } from '../grid.ts';
import { customerDimensions, customerMartDimensions } from '../dimensions.ts';
import { addMonths, monthStart, numberParam } from '../params.ts';
import { martGuard, martIsCurrent, ordersSource, type OrdersSource } from '../marts.ts';
import { sqlFragment } from '../sql-fragment.ts';

interface Prepared {
  orders: OrdersSource;
  /** Facts summed per customer (one row each) rather than one row per event. */
  perCustomer: boolean;
  /** Whether report_customer_months is current. */
  customerMonths: boolean;
  /**
   * Events go straight into the groups (distinct customers as bitmaps), with the sales of whole months as
   * rows of report_customer_months: no per-customer pass.
   */
  monthsAsEvents: boolean;
}

/** The whole UTC months inside [from, toExclusive) as [first month start, end]; an empty pair when none. */
function wholeMonths(from: string, toExclusive: string): [string, string] {
  const first = from === monthStart(from) ? from : addMonths(monthStart(from), 1);
  const end = monthStart(toExclusive);
  return first < end ? [first, end] : [from, from];
}

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
  usesDistinctCustomers: true,
  // Sums of partial sums (minutes and acquisition cost are DOUBLE: equal up to rounding far below what
  // the report shows); not at customer grain, where each group would be one customer's row twice over.
  decomposable: (prep: Prepared) => !prep.perCustomer,
  measures: (p, _needs, ctx) => {
    // Customer grain (see facts): one row per customer with its sums, so customers are rows. Event grain:
    // one row per order (or customer-month of sales), contact, ticket or acquisition.
    const perCustomer = (ctx.prepared as Prepared | undefined)?.perCustomer ?? false;
    const sum = (column: string) => ctx.sum(sql.ref(`f.${column}`));
    const count = (kind: string, column: string) => (perCustomer ? sql`coalesce(${sum(column)}, 0)` : ctx.count(sql`f.kind = ${sql.lit(kind)}`));
    const customers = perCustomer ? ctx.count() : ctx.distinctCustomers();
    const revenue = sql`coalesce(${sum('revenue')}, 0)`;
    const cogs = sql`coalesce(${sum('cogs')}, 0)`;
    const minutes = sql`coalesce(${sum('minutes')}, 0)`;
    const serve = sql`(${minutes} * ${p.costPerContactMinute} + ${count('ticket', 'tickets')} * ${p.costPerTicket})`;
    const acquisition = sql`coalesce(${sum('acquisition_cost')}, 0)`;
    const profit = sql`(${revenue} - ${cogs} - ${serve} - ${acquisition})`;
    return [
      { name: 'customers', label: 'Customers', format: 'count', description: 'customers with any sale, contact, ticket or acquisition in the range', expr: customers },
      { name: 'buyers', label: 'Buyers', format: 'count', expr: perCustomer ? ctx.count(sql`f.sales > 0`) : ctx.distinctCustomers(sql`f.kind = 'sale'`) },
      { name: 'revenue', label: 'Revenue', format: 'currency', expr: revenue },
      { name: 'cogs', label: 'Cost of goods', format: 'currency', expr: cogs },
      { name: 'gross_margin', label: 'Gross margin', format: 'currency', expr: sql`${revenue} - ${cogs}` },
      { name: 'margin_pct', label: 'Gross margin %', format: 'percent', expr: sql`(${revenue} - ${cogs}) / nullif(${revenue}, 0)` },
      { name: 'contacts', label: 'Contacts', format: 'count', expr: count('contact', 'contacts') },
      { name: 'contact_minutes', label: 'Contact minutes', format: 'minutes', expr: minutes },
      { name: 'tickets', label: 'Tickets', format: 'count', expr: count('ticket', 'tickets') },
      { name: 'cost_to_serve', label: 'Cost to serve', format: 'currency', expr: serve },
      { name: 'acquisition_cost', label: 'Acquisition cost', format: 'currency', expr: acquisition },
      { name: 'profit', label: 'Profit', format: 'currency', expr: profit },
      { name: 'profit_per_customer', label: 'Profit per customer', format: 'currency', expr: sql`${profit} / nullif(${customers}, 0)` },
      { name: 'lines_without_cost', label: 'Lines without unit cost', format: 'count', expr: sql`coalesce(${sum('lines_without_cost')}, 0)` },
    ];
  },
  // Without time buckets, and with every group-by and filter an attribute of the customer (all but owner,
  // whose name comes from each event's employee), customers are counted without looking at events one by
  // one: as bitmaps while the marts are current and the groups few (events straight into the groups, the
  // whole months' sales from report_customer_months); otherwise the events are first summed per customer
  // (one pass grouped by customer id instead of distinct customer counts per group).
  prepare: async (wh, p, _needs, grid): Promise<Prepared> => {
    const customerLevel = p.by === 'none' && !p.groupBy.includes('owner') && !('owner' in p.filters);
    const customerMonths = await martIsCurrent(wh, 'customer_months');
    return {
      orders: await ordersSource(wh),
      perCustomer: customerLevel && !grid.distinctByBitmap,
      customerMonths,
      monthsAsEvents: customerLevel && grid.distinctByBitmap && customerMonths,
    };
  },
  // At customer grain the facts are one row per customer: by customer_id alone, no second aggregation.
  uniqueOn: (prep: Prepared) => (prep.perCustomer ? 'customer_id' : undefined),
  factDimensions: (prep: Prepared) => (prep.monthsAsEvents ? customerMartDimensions : undefined),
  facts: (p, _needs, prep: Prepared) => {
    const costs = sqlFragment('reports/customer-costs', { from: p.from, to: p.toExclusive });
    if (prep.monthsAsEvents) {
      // The customer attributes come with the rows (customerMartDimensions): the mart's own columns, and
      // for the other events (far fewer) the customers joined here as the grid would join them.
      const [fullFrom, fullTo] = wholeMonths(p.from, p.toExclusive);
      return sql`(
        select m.customer_id, null::varchar as employee_id, null::timestamptz as at, 'sale' as kind, m.line_amount as revenue, m.cogs,
          m.lines_without_cost, null::double as minutes, null::double as acquisition_cost,
          m.region, m.country, m.industry, m.acquisition_channel, m.lifecycle_stage
        from report_customer_months as m
        where m.month >= cast(${fullFrom} as date) and m.month < cast(${fullTo} as date) and ${martGuard('customer_months')}
        union all
        select e.*, c.region, c.country, coalesce(c.industry, a.industry), c.acquisition_channel, c.lifecycle_stage
        from (
          select o.customer_id, o.employee_id, o.ordered_at as at, 'sale' as kind, o.line_amount as revenue, o.cogs, o.lines_without_cost,
            null::double as minutes, null::double as acquisition_cost
          from ${prep.orders.orders(p.from, p.toExclusive)} as o
          where o.status = 'completed' and o.lines > 0
            and not (o.ordered_at >= cast(${fullFrom} as timestamptz) and o.ordered_at < cast(${fullTo} as timestamptz))
          union all
          select * from ${costs} as c
        ) as e
        left join customers as c on c.customer_id = e.customer_id
        left join accounts as a on a.account_id = c.account_id
      )`;
    }
    if (!prep.perCustomer)
      return sql`(
        select o.customer_id, o.employee_id, o.ordered_at as at, 'sale' as kind, o.line_amount as revenue, o.cogs,
          o.lines_without_cost, null::double as minutes, null::double as acquisition_cost
        from ${prep.orders.orders(p.from, p.toExclusive)} as o
        where o.status = 'completed' and o.lines > 0
        union all
        select * from ${costs} as c
      )`;
    // Sales per customer: the whole months of the range from report_customer_months (when current), the
    // days before the first and after the last whole month from the orders.
    const [fullFrom, fullTo] = prep.customerMonths ? wholeMonths(p.from, p.toExclusive) : [p.from, p.from];
    const monthsGuard = prep.customerMonths ? martGuard('customer_months') : sql`true`;
    const sales = sql`
      select m.customer_id, 'sale' as kind, m.line_amount as revenue, m.cogs, m.lines_without_cost, m.sales,
        null::double as minutes, null::double as acquisition_cost
      from report_customer_months as m
      where m.month >= cast(${fullFrom} as date) and m.month < cast(${fullTo} as date) and ${monthsGuard}
      union all
      select o.customer_id, 'sale', o.line_amount, o.cogs, o.lines_without_cost, 1, null, null
      from ${prep.orders.orders(p.from, p.toExclusive)} as o
      where o.status = 'completed' and o.lines > 0
        and not (o.ordered_at >= cast(${fullFrom} as timestamptz) and o.ordered_at < cast(${fullTo} as timestamptz))`;
    return sql`(
      select e.customer_id, sum(e.revenue) as revenue, sum(e.cogs) as cogs, sum(e.lines_without_cost) as lines_without_cost,
        coalesce(sum(e.sales), 0) as sales, count(*) filter (where e.kind = 'contact') as contacts,
        sum(e.minutes) as minutes, count(*) filter (where e.kind = 'ticket') as tickets, sum(e.acquisition_cost) as acquisition_cost
      from (
        ${sales}
        union all
        select c.customer_id, c.kind, c.revenue, c.cogs, c.lines_without_cost, 0, c.minutes, c.acquisition_cost from ${costs} as c
      ) as e
      group by e.customer_id
    )`;
  },
  notes: (p, _needs, prep: Prepared) => [
    ...(prep.orders.note ? [prep.orders.note] : []),
    'Revenue = order-line amounts of completed orders (negative lines are returns); cost of goods = quantity × the product’s unit cost (lines of products without a unit cost count no cost: see lines_without_cost).',
    `Cost to serve = contact minutes × ${p.costPerContactMinute} + tickets × ${p.costPerTicket} (parameters costPerContactMinute and costPerTicket).`,
    "Acquisition cost: each customer acquired in the range carries its acquisition campaign's cost divided by all customers that campaign acquired.",
    'Profit = revenue - cost of goods - cost to serve - acquisition cost.',
  ],
});
