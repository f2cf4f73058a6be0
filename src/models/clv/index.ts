/**
 * Customer lifetime value: RFM summary → BG/NBD + Gamma-Gamma → P(alive), expected purchases,
 * expected spend, discounted CLV and churn-risk tiers per customer. See README.md beside this file.
 */
import { AppError } from '../../errors.ts';
import type { ModelEntry } from '../index.ts';
import { runClv } from './run.ts';

export { runClv, type ClvRunResult, type ClvValidation, type FrequencyBucket, type TrackingWeek, type ValidationTotals, type DataChecks } from './run.ts';
export { clvParamsSchema, parseClvParams, type ClvParams, type ClvParamsInput } from './params.ts';
export {
  fitBgNbd,
  bgnbdLogLikelihood,
  compressTriples,
  pAlive,
  conditionalExpectedPurchases,
  expectedPurchases,
  probPurchases,
  type BgNbdParams,
  type Triples,
} from './bgnbd.ts';
export { fitGammaGamma, expectedMeanSpend, populationMeanSpend, type GammaGammaParams, type SpendData } from './gamma-gamma.ts';
export { customerLifetimeValue, expectedCumulativeByWeek } from './predict.ts';
export { latestModelRun, type ModelRunsTable, type ModelFitsTable } from './model-runs.ts';
export type { FitResult } from './numeric/fit.ts';

/** Registry entry: scores as of `asOf` (default: the last purchase day) with default parameters. */
export const clvModel: ModelEntry = {
  name: 'clv',
  description: 'BG/NBD + Gamma-Gamma: P(alive), expected purchases, CLV and churn-risk tier per customer (customer_value, churn_risk)',
  async run(wh, { asOf }) {
    const r = await runClv(wh, asOf ? { calibrationEnd: asOf } : {});
    if (r.status !== 'succeeded') throw new AppError('MODEL', r.error ?? r.summary, { runId: r.runId });
    return { runId: r.runId, summary: r.summary };
  },
};
