/**
 * Contractual churn over subscriptions: Kaplan–Meier survival, the shifted-beta-geometric model and
 * monthly churn rates. See README.md beside this file.
 */
import type { ModelEntry } from '../index.ts';
import { runChurn } from './run.ts';

export { runChurn, churnParamsSchema, type ChurnParams, type ChurnRunResult, type SbgGroupFit } from './run.ts';
export { fitSbg, fromSurvivors, sbgSurvival, sbgRetentionRate, sbgLifetime, type SbgParams, type SbgData } from './sbg.ts';
export { kaplanMeier, type PeriodCounts, type SurvivalPoint } from './kaplan-meier.ts';

export const churnModel: ModelEntry = {
  name: 'churn',
  description: 'subscriptions: Kaplan–Meier by plan and cohort, sBG fit and projection, monthly churn (churn_survival, churn_monthly)',
  async run(wh, { asOf }) {
    const r = await runChurn(wh, asOf ? { asOf } : {});
    return { runId: r.runId, summary: r.summary };
  },
};
