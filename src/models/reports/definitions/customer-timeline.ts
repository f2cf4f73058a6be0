import { z } from 'zod';
import { AppError } from '../../../errors.ts';
import { addDays, intParam, isoDate, listParam } from '../params.ts';
import { sqlFragment } from '../sql-fragment.ts';
import type { ReportDefinition, ReportRow } from '../types.ts';

export const timelineKinds = ['customer', 'order', 'interaction', 'ticket', 'deal', 'campaign', 'subscription'] as const;

const params = z
  .object({
    customer_id: intParam(1, Number.MAX_SAFE_INTEGER),
    from: isoDate.optional(),
    to: isoDate.optional(),
    kinds: listParam.pipe(z.array(z.enum(timelineKinds))).optional(),
    limit: intParam(1, 100_000).default(500),
  })
  .strict();
type Params = z.infer<typeof params>;

/**
 * Customer 360 timeline: every event of one customer, newest first (the customer card shows the same rows).
 *
 * @example
 * await runReport(wh, 'customer-timeline', { customer_id: 42, kinds: ['order', 'ticket'] });
 */
export const customerTimelineReport: ReportDefinition<Params> = {
  info: {
    name: 'customer-timeline',
    title: 'Customer timeline',
    description: 'Customer 360: orders, interactions, tickets, deals, campaign touches and subscriptions of one customer, newest first',
    groupBys: [],
    defaultGroupBy: [],
    filters: [],
    measures: [],
    extraParams: ['customer_id', 'from', 'to', 'kinds', 'limit'],
    timeBuckets: false,
  },
  params,
  async run(wh, p) {
    const [exists] = await wh.all<{ n: number }>('select count(*) as n from customers where customer_id = $id', { id: p.customer_id });
    if (!exists?.n) throw new AppError('NOT_FOUND', `customer ${p.customer_id} not found`);
    const query = sqlFragment<ReportRow>('reports/customer-timeline', {
      customer_id: p.customer_id,
      from: p.from ?? null,
      to: p.to ? addDays(p.to, 1) : null,
      kinds: p.kinds ? JSON.stringify(p.kinds) : null,
      limit: p.limit + 1,
    });
    let rows = (await wh.db.selectFrom(query.as('t')).selectAll().execute()) as ReportRow[];
    const truncated = rows.length > p.limit;
    if (truncated) rows = rows.slice(0, p.limit);
    return {
      columns: [
        { name: 'at', label: 'When', type: 'timestamp', role: 'time' },
        { name: 'kind', label: 'Kind', type: 'string', role: 'dimension' },
        { name: 'event', label: 'Event', type: 'string', role: 'dimension' },
        { name: 'ref_id', label: 'Reference', type: 'string', role: 'info', description: 'order, interaction, ticket, deal, campaign or subscription id' },
        { name: 'channel', label: 'Channel / pipeline / plan', type: 'string', role: 'info' },
        { name: 'amount', label: 'Amount', type: 'number', role: 'measure', format: 'currency' },
        { name: 'employee', label: 'Employee', type: 'string', role: 'info' },
        { name: 'detail', label: 'Detail', type: 'string', role: 'info' },
      ],
      rows,
      truncated,
      notes: ['Times are UTC. Deal rows include every recorded stage entry; campaign rows each step of a touch (sent, opened, clicked, converted).'],
    };
  },
};
