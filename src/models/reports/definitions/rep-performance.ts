import { sql } from 'kysely';
import { interactionChannels } from '../../../warehouse/index.ts';
import { gridReport, type Measure } from '../grid.ts';
import { repDimensions } from '../dimensions.ts';
import { sqlFragment } from '../sql-fragment.ts';

const channelMeasures: Measure[] = interactionChannels.map((ch) => ({
  name: `activities_${ch}`,
  label: `Activities: ${ch.replace('_', ' ')}`,
  format: 'count',
  expr: sql`count(*) filter (where f.kind = 'activity' and f.channel = ${sql.lit(ch)})`,
}));

/** Rep performance: activities by channel, deals won, win rate, deal size, sales cycle, quota attainment. */
export const repPerformanceReport = gridReport({
  name: 'rep-performance',
  title: 'Rep performance',
  description: 'Activities by channel, deals created/won/lost, win rate, average deal size, sales cycle and quota attainment per rep, team or manager',
  defaultBy: 'none',
  defaultGroupBy: ['rep'],
  dimensions: repDimensions,
  measures: [
    { name: 'activities', label: 'Activities', format: 'count', expr: sql`count(*) filter (where f.kind = 'activity')` },
    ...channelMeasures,
    { name: 'deals_created', label: 'Deals created', format: 'count', expr: sql`count(*) filter (where f.kind = 'created')` },
    { name: 'deals_won', label: 'Deals won', format: 'count', expr: sql`count(*) filter (where f.kind = 'won')` },
    { name: 'deals_lost', label: 'Deals lost', format: 'count', expr: sql`count(*) filter (where f.kind = 'lost')` },
    {
      name: 'win_rate',
      label: 'Win rate',
      format: 'percent',
      description: 'won / (won + lost), deals closed in the period',
      expr: sql`count(*) filter (where f.kind = 'won') / nullif(count(*) filter (where f.kind in ('won', 'lost')), 0)`,
    },
    { name: 'won_amount', label: 'Won amount', format: 'currency', expr: sql`coalesce(sum(f.amount) filter (where f.kind = 'won'), 0)` },
    {
      name: 'avg_deal_size',
      label: 'Average deal size (won)',
      format: 'currency',
      expr: sql`sum(f.amount) filter (where f.kind = 'won') / nullif(count(*) filter (where f.kind = 'won'), 0)`,
    },
    {
      name: 'sales_cycle_days',
      label: 'Sales cycle, median days (won)',
      format: 'days',
      description: 'median days from creation to close of the deals won in the period',
      expr: sql`median(f.cycle_days) filter (where f.kind = 'won')`,
    },
    { name: 'quota', label: 'Quota', format: 'currency', expr: sql`sum(f.quota) filter (where f.kind = 'quota')` },
    {
      name: 'attainment',
      label: 'Quota attainment',
      format: 'percent',
      description: 'won amount / quota for the same days',
      expr: sql`coalesce(sum(f.amount) filter (where f.kind = 'won'), 0) / nullif(sum(f.quota) filter (where f.kind = 'quota'), 0)`,
    },
  ],
  facts: (p) => sqlFragment('reports/rep-facts', { from: p.from, to: p.toExclusive }),
  notes: () => [
    'Activities are interactions logged by the rep; deals count by their owner: created by created_at, won/lost by closed_at.',
    'Quota is spread evenly over the days of its period (month, quarter or year); where a rep has quotas of several period types for the same day the finest counts. Attainment = won amount / quota of the same days.',
  ],
});
