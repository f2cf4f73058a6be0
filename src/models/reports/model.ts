import type { ModelEntry } from '../index.ts';
import { refreshReportMarts } from './marts.ts';

/** `crm models run reports`: rebuilds the report marts after a load so the line-level reports stay fast. */
export const reportsModel: ModelEntry = {
  name: 'reports',
  description: 'rebuild the report marts (order lines with order facts and unit cost) for fast sales and profitability reports',
  async run(wh) {
    const marts = await refreshReportMarts(wh);
    const m = marts[0];
    return { runId: m.dataVersion, summary: `report marts rebuilt from data version ${m.dataVersion}: ${marts.map((x) => `${x.name} ${x.rows.toLocaleString('en')} rows`).join(', ')} in ${(m.durationMs / 1000).toFixed(1)} s` };
  },
};
