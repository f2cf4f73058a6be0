import type { ModelEntry } from '../index.ts';
import { saveForecastRun } from './runs.ts';

/** `crm models run forecast`: a revenue forecast (method by backtest) and a weighted pipeline snapshot, stored as a run. */
export const forecastModel: ModelEntry = {
  name: 'forecast',
  description: 'monthly revenue forecast (method chosen by backtest) and weighted pipeline snapshot',
  async run(wh, { asOf }) {
    const run = await saveForecastRun(wh, asOf ? { asOf } : {}, asOf ? { asOf } : {});
    return { runId: run.runId, summary: run.summary };
  },
};
