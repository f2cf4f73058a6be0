import type { Warehouse } from '../warehouse/index.ts';
import { churnModel } from './churn/index.ts';
import { clvModel } from './clv/index.ts';
import { forecastModel } from './forecast/model.ts';
import { funnelModel } from './funnel/model.ts';
import { reportsModel } from './reports/model.ts';
import { retentionModel } from './retention/index.ts';
import { segmentsModel } from './segments/run.ts';

/**
 * A model that `crm models run` and the nightly job can run with its default parameters.
 * Each model module adds one entry below; `dependsOn` orders them (e.g. segments after clv).
 */
export interface ModelEntry {
  name: string;
  description: string;
  dependsOn?: string[];
  /** Runs with defaults, writes its output tables, returns a one-line summary for logs. */
  run(wh: Warehouse, options: { asOf?: string }): Promise<{ runId: string | number; summary: string }>;
}

// One line per model module.
export const models: ModelEntry[] = [
  clvModel,
  churnModel,
  retentionModel,
  segmentsModel,
  funnelModel,
  forecastModel,
  reportsModel,
];

/** Models in dependency order, optionally only those named (and what they depend on). */
export function modelsInOrder(names?: string[]): ModelEntry[] {
  const byName = new Map(models.map((m) => [m.name, m]));
  const order: ModelEntry[] = [];
  const visit = (m: ModelEntry) => {
    if (order.includes(m)) return;
    for (const d of m.dependsOn ?? []) {
      const dep = byName.get(d);
      if (dep) visit(dep);
    }
    order.push(m);
  };
  for (const m of names ? names.map((n) => byName.get(n)).filter((m): m is ModelEntry => !!m) : models) visit(m);
  return order;
}
