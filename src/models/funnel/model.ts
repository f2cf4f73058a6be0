import type { ModelEntry } from '../index.ts';
import { saveFunnelRun } from './runs.ts';

/**
 * `crm models run funnel`: the deal stage funnel of the last 12 months (every pipeline) and the
 * marketing funnel with default steps and windows, each stored with its drop-offs.
 */
export const funnelModel: ModelEntry = {
  name: 'funnel',
  description: 'deal stage funnel and marketing funnel of the last 12 months, with drop-offs saved for segments',
  async run(wh, { asOf }) {
    const range = asOf ? { to: asOf } : {};
    const stage = await saveFunnelRun(wh, 'stage', range, { asOf });
    const marketing = await saveFunnelRun(wh, 'marketing', range, { asOf });
    return { runId: stage.runId, summary: `${stage.summary}; ${marketing.summary}` };
  },
};
