import { sql } from 'kysely';
import { gridReport } from '../grid.ts';
import { campaignDimensions, customerDimensions } from '../dimensions.ts';
import { martGuard, martIsCurrent, staleNote } from '../marts.ts';
import { sqlFragment } from '../sql-fragment.ts';

/** Campaign effectiveness per customer segment: reach, responses, conversions, revenue, cost, CPA, ROI. */
export const campaignEffectivenessReport = gridReport({
  name: 'campaign-effectiveness',
  title: 'Campaign effectiveness',
  description: 'Reach, responses, conversions, attributed revenue, cost, cost per acquisition and ROI per campaign and customer segment',
  defaultBy: 'none',
  defaultGroupBy: ['campaign'],
  dimensions: {
    ...campaignDimensions,
    ...customerDimensions,
    touch_channel: { label: 'Touch channel', expr: sql`coalesce(f.channel, '(none)')` },
  },
  usesDistinctCustomers: true,
  decomposable: true,
  measures: (_p, _needs, ctx) => {
    const revenue = sql`coalesce(${ctx.sum(sql`f.revenue`)}, 0)`;
    // cost is a DOUBLE (a campaign's cost / its touches): in two levels it is a sum of partial sums,
    // equal up to floating-point rounding far below the cent the report rounds to.
    const cost = sql`coalesce(${ctx.sum(sql`f.cost`)}, 0)`;
    const touches = ctx.count(sql`f.kind = 'touch'`);
    const conversions = ctx.count(sql`f.is_converted`);
    const responded = ctx.count(sql`f.is_clicked or f.is_converted`);
    return [
      { name: 'touches', label: 'Touches', format: 'count', expr: touches },
      { name: 'reached', label: 'Reached customers', format: 'count', description: 'distinct customers touched', expr: ctx.distinctCustomers(sql`f.kind = 'touch'`) },
      { name: 'opened', label: 'Opened', format: 'count', expr: ctx.count(sql`f.is_opened`) },
      { name: 'clicked', label: 'Clicked', format: 'count', expr: ctx.count(sql`f.is_clicked`) },
      { name: 'responded', label: 'Responses', format: 'count', description: 'touches clicked or converted', expr: responded },
      { name: 'response_rate', label: 'Response rate', format: 'percent', description: 'responses / touches', expr: sql`${responded} / nullif(${touches}, 0)` },
      { name: 'conversions', label: 'Conversions', format: 'count', description: 'touches converted', expr: conversions },
      { name: 'conversion_rate', label: 'Conversion rate', format: 'percent', description: 'conversions / touches', expr: sql`${conversions} / nullif(${touches}, 0)` },
      { name: 'orders', label: 'Attributed orders', format: 'count', expr: ctx.count(sql`f.kind = 'order'`) },
      { name: 'order_revenue', label: 'Order revenue', format: 'currency', expr: sql`coalesce(${ctx.sum(sql`f.revenue`, sql`f.kind = 'order'`)}, 0)` },
      { name: 'deals_won', label: 'Attributed deals won', format: 'count', expr: ctx.count(sql`f.kind = 'deal'`) },
      { name: 'deal_revenue', label: 'Deal revenue', format: 'currency', expr: sql`coalesce(${ctx.sum(sql`f.revenue`, sql`f.kind = 'deal'`)}, 0)` },
      { name: 'revenue', label: 'Revenue', format: 'currency', expr: revenue },
      { name: 'cost', label: 'Cost', format: 'currency', expr: cost },
      { name: 'cost_per_acquisition', label: 'Cost per acquisition', format: 'currency', expr: sql`${cost} / nullif(${conversions}, 0)` },
      { name: 'roi', label: 'ROI', format: 'percent', description: '(revenue - cost) / cost', expr: sql`(${revenue} - ${cost}) / nullif(${cost}, 0)` },
    ];
  },
  prepare: (wh) => martIsCurrent(wh, 'orders'),
  facts: (p, _needs, ordersMart: boolean) => {
    // report_orders holds every completed order (channel coalesced to '(none)', which the touch_channel dimension does too).
    const orders = ordersMart
      ? sql`select campaign_id, customer_id, sales_channel as channel, ordered_at, status, amount from report_orders where ${martGuard('orders')}`
      : sql`select campaign_id, customer_id, channel, ordered_at, status, total_amount as amount from orders`;
    return sql`(with campaign_orders_input as (${orders}) select * from ${sqlFragment('reports/campaign-effectiveness', { from: p.from, to: p.toExclusive })})`;
  },
  notes: (_p, _needs, ordersMart: boolean) => [
    ...(ordersMart ? [] : [staleNote('report_orders')]),
    'Touches count by sent_at (one touch = one customer contacted by one campaign). Opened, clicked, responses (clicked or converted) and conversions count touches; reached counts distinct customers.',
    "A campaign's cost is split evenly over all its touches, so each segment and period carries the share of touches it holds; campaigns without touches carry their whole cost at their start date, under segment '(none)'.",
    'Revenue = completed orders + won deals that carry the campaign id, by order date / close date. If your won deals also appear as orders, read order_revenue and deal_revenue apart.',
    'Cost per acquisition = cost / conversions; ROI = (revenue - cost) / cost.',
  ],
});
