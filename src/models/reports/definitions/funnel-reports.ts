import type { z } from 'zod';
import { funnelBreakdowns, stageFunnel, stageFunnelParamsSchema } from '../../funnel/stage-funnel.ts';
import { marketingBreakdowns, marketingFunnel, marketingFunnelParamsSchema } from '../../funnel/marketing-funnel.ts';
import type { ReportDefinition } from '../types.ts';

type StageParams = z.output<typeof stageFunnelParamsSchema>;
const stageExtra = ['from', 'to', 'pipeline', 'cohort', 'breakdown', 'filters', 'mode', 'stages'];

/** The deal stage funnel as a report. */
export const funnelReport: ReportDefinition<StageParams> = {
  info: {
    name: 'funnel',
    title: 'Deal stage funnel',
    description: 'Deals reaching each stage, conversion to the next stage and to won, drop-off and time in stage (median/p75/p90), by creation cohort and breakdown',
    groupBys: funnelBreakdowns,
    defaultGroupBy: [],
    filters: funnelBreakdowns,
    measures: ['reached', 'entered', 'advanced', 'won', 'lost_here', 'open_here', 'conversion_from_first', 'conversion_to_next', 'conversion_to_won', 'drop_off_rate', 'days_in_stage_p50', 'days_in_stage_p75', 'days_in_stage_p90'],
    extraParams: stageExtra,
    timeBuckets: false,
  },
  params: stageFunnelParamsSchema,
  async run(wh, p) {
    const f = await stageFunnel(wh, p);
    return { columns: f.columns, rows: f.rows, notes: f.notes, assumptions: f.assumptions, params: { from: f.range.from, to: f.range.to } };
  },
};

/** Why deals were lost, at the stage they were lost. */
export const funnelLostReasonsReport: ReportDefinition<StageParams> = {
  info: {
    name: 'funnel-lost-reasons',
    title: 'Funnel drop-off reasons',
    description: 'Deals lost at each stage by lost reason, with the share of the stage’s losses and the amount lost',
    groupBys: funnelBreakdowns,
    defaultGroupBy: [],
    filters: funnelBreakdowns,
    measures: ['deals', 'share_of_stage_losses', 'amount'],
    extraParams: stageExtra,
    timeBuckets: false,
  },
  params: stageFunnelParamsSchema,
  async run(wh, p) {
    const f = await stageFunnel(wh, p, { lostReasons: true });
    return { columns: f.lostReasonColumns, rows: f.lostReasons, notes: f.notes, assumptions: f.assumptions, params: { from: f.range.from, to: f.range.to } };
  },
};

/** The marketing funnel as a report. */
export const marketingFunnelReport: ReportDefinition<z.output<typeof marketingFunnelParamsSchema>> = {
  info: {
    name: 'marketing-funnel',
    title: 'Marketing funnel',
    description: 'Campaign touch → opened → clicked → deal → won (configurable steps), with a conversion window per step, ordered or any order',
    groupBys: marketingBreakdowns,
    defaultGroupBy: [],
    filters: marketingBreakdowns,
    measures: ['reached', 'dropped', 'conversion_from_previous', 'conversion_from_first', 'median_hours'],
    extraParams: ['from', 'to', 'steps', 'windows', 'order', 'attribution', 'campaign', 'cohort', 'breakdown', 'filters'],
    timeBuckets: false,
  },
  params: marketingFunnelParamsSchema,
  async run(wh, p) {
    const f = await marketingFunnel(wh, p);
    return { columns: f.columns, rows: f.rows, notes: f.notes, params: { from: f.range.from, to: f.range.to } };
  },
};
