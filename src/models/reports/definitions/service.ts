import { sql } from 'kysely';
import { gridReport } from '../grid.ts';
import { customerDimensions, repDimensions } from '../dimensions.ts';
import { sqlFragment } from '../sql-fragment.ts';

/** Service: ticket volume, first response and resolution times, satisfaction by segment. */
export const serviceReport = gridReport({
  name: 'service',
  title: 'Service',
  description: 'Ticket volume, first response time, resolution time p50/p90 and satisfaction by segment, channel, category, priority or agent',
  defaultBy: 'month',
  defaultGroupBy: [],
  dimensions: {
    channel: { label: 'Channel', expr: sql`f.channel` },
    category: { label: 'Category', expr: sql`f.category` },
    priority: { label: 'Priority', expr: sql`f.priority`, orderBy: sql`case f.priority when 'urgent' then 1 when 'high' then 2 when 'normal' then 3 when 'low' then 4 else 5 end` },
    status: { label: 'Status', expr: sql`f.status` },
    ...customerDimensions,
    agent: repDimensions.rep,
    agent_id: repDimensions.rep_id,
    team: repDimensions.team,
  },
  measures: [
    { name: 'tickets', label: 'Tickets', format: 'count', expr: sql`count(*)` },
    { name: 'unresolved', label: 'Unresolved', format: 'count', description: 'no resolved_at yet', expr: sql`count(*) filter (where f.resolution_hours is null)` },
    { name: 'first_response_hours_avg', label: 'First response, mean hours', format: 'hours', expr: sql`avg(f.first_response_hours)` },
    { name: 'first_response_hours_p50', label: 'First response, median hours', format: 'hours', expr: sql`quantile_cont(f.first_response_hours, 0.5)` },
    { name: 'first_response_hours_p90', label: 'First response, p90 hours', format: 'hours', expr: sql`quantile_cont(f.first_response_hours, 0.9)` },
    { name: 'resolution_hours_p50', label: 'Resolution, median hours', format: 'hours', expr: sql`quantile_cont(f.resolution_hours, 0.5)` },
    { name: 'resolution_hours_p90', label: 'Resolution, p90 hours', format: 'hours', expr: sql`quantile_cont(f.resolution_hours, 0.9)` },
    { name: 'rated', label: 'Rated tickets', format: 'count', expr: sql`count(f.satisfaction)` },
    { name: 'satisfaction_avg', label: 'Satisfaction (1–5), mean', format: 'number', expr: sql`avg(f.satisfaction)` },
    { name: 'csat', label: 'CSAT (share rated 4–5)', format: 'percent', expr: sql`count(*) filter (where f.satisfaction >= 4) / nullif(count(f.satisfaction), 0)` },
  ],
  facts: (p) => sqlFragment('reports/service-tickets', { from: p.from, to: p.toExclusive }),
  notes: () => [
    'Tickets count by opened_at. Times are hours from opening to the first response / to resolution, over the tickets that have one (unresolved tickets are left out of resolution times).',
    'Percentiles interpolate linearly (quantile_cont).',
  ],
});
