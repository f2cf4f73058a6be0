/** Retention: cohort matrix and monthly lifecycle over purchases. See README.md beside this file. */
import type { ModelEntry } from '../index.ts';
import { runRetention } from './run.ts';

export { runRetention, retentionParamsSchema, type RetentionRunResult } from './run.ts';

export const retentionModel: ModelEntry = {
  name: 'retention',
  description: 'cohort matrix (customers and revenue) and monthly lifecycle: new, returning, resurrecting, dormant (retention_cohorts, retention_lifecycle)',
  async run(wh, { asOf }) {
    const r = await runRetention(wh, asOf ? { asOf } : {});
    return { runId: r.runId, summary: r.summary };
  },
};
