import { sql } from 'kysely';
import { z } from 'zod';
import { preparePipelineForecast, type PreparedPipeline } from '../../forecast/pipeline.ts';
import { repDimensions } from '../dimensions.ts';
import { gridReport } from '../grid.ts';
import { boolParam, numberParam } from '../params.ts';
import { sqlFragment } from '../sql-fragment.ts';

const won = sql`coalesce(sum(f.amount) filter (where f.kind = 'won'), 0)`;
const quota = sql`sum(f.quota) filter (where f.kind = 'quota')`;
const weighted = sql`coalesce(sum(f.weighted) filter (where f.kind = 'open'), 0)`;

/** Quota attainment per rep, team and period, with the open pipeline expected to close in the period. */
export const quotaAttainmentReport = gridReport({
  name: 'quota-attainment',
  title: 'Quota attainment',
  description: 'Quota, won amount and attainment per rep or team and period, with the weighted open pipeline expected to close in the period (projected attainment)',
  defaultBy: 'quarter',
  defaultGroupBy: ['rep'],
  defaultRange: (today) => ({ from: `${today.slice(0, 4)}-01-01`, to: `${today.slice(0, 4)}-12-31` }),
  dimensions: repDimensions,
  extraParams: {
    perTeam: boolParam.default(false),
    priorStrength: numberParam.pipe(z.number().min(0)).default(10),
  },
  prepare: (wh, p) => preparePipelineForecast(wh, { perTeam: p.perTeam, priorStrength: p.priorStrength }),
  measures: [
    { name: 'quota', label: 'Quota', format: 'currency', expr: quota },
    { name: 'won_amount', label: 'Won', format: 'currency', expr: won },
    { name: 'attainment', label: 'Attainment', format: 'percent', expr: sql`${won} / nullif(${quota}, 0)` },
    { name: 'gap', label: 'Gap to quota', format: 'currency', expr: sql`${quota} - ${won}` },
    { name: 'open_deals', label: 'Open deals closing', format: 'count', expr: sql`count(*) filter (where f.kind = 'open')` },
    { name: 'open_pipeline', label: 'Open pipeline', format: 'currency', expr: sql`coalesce(sum(f.amount) filter (where f.kind = 'open'), 0)` },
    { name: 'weighted_pipeline', label: 'Weighted pipeline', format: 'currency', expr: weighted },
    { name: 'projected', label: 'Projected (won + weighted)', format: 'currency', expr: sql`${won} + ${weighted}` },
    { name: 'projected_attainment', label: 'Projected attainment', format: 'percent', expr: sql`(${won} + ${weighted}) / nullif(${quota}, 0)` },
  ],
  facts: (p, _needs, prepared) => {
    const prep = prepared as PreparedPipeline;
    const rep = sqlFragment('reports/rep-facts', { from: p.from, to: p.toExclusive });
    return sql`(
      select r.employee_id, r.at, r.kind, r.amount, r.quota, null::double as weighted
      from ${rep} as r where r.kind in ('won', 'quota')
      union all
      select d.employee_id, cast(d.close_month as timestamptz), 'open', d.amount, null, d.weighted_amount
      from ${prep.deals()} as d
      where d.status = 'open' and d.close_month >= cast(${p.from} as date) and d.close_month < cast(${p.toExclusive} as date)
    )`;
  },
  notes: (_p, _needs, prepared) => [
    'Won = amount of deals won (by close date) owned by the rep; quota is spread evenly over the days of its period, the finest period type winning where several cover a day.',
    'Open pipeline: open deals by expected close month (overdue ones in the current month), weighted by stage win probability:',
    ...(prepared as PreparedPipeline).notes,
  ],
});
