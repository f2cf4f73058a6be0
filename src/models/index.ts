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

export type ModelRunRow = {
  model: string;
  status: 'succeeded' | 'failed' | 'skipped';
  run_id: string | number | null;
  seconds: number;
  summary: string;
};

/**
 * Runs models in dependency order; a failure is recorded and the models that depend on it are
 * skipped, the others still run. `onResult` sees each row as it finishes (for logs).
 */
export async function runModels(
  wh: Warehouse,
  options: { names?: string[]; asOf?: string; onResult?: (row: ModelRunRow) => void } = {},
): Promise<ModelRunRow[]> {
  const failed = new Set<string>();
  const rows: ModelRunRow[] = [];
  for (const m of modelsInOrder(options.names)) {
    const blocked = (m.dependsOn ?? []).filter((d) => failed.has(d));
    let row: ModelRunRow;
    if (blocked.length) {
      failed.add(m.name);
      row = { model: m.name, status: 'skipped', run_id: null, seconds: 0, summary: `skipped: ${blocked.join(', ')} failed` };
    } else {
      const started = Date.now();
      const seconds = () => Number(((Date.now() - started) / 1000).toFixed(2));
      try {
        const r = await m.run(wh, { asOf: options.asOf });
        row = { model: m.name, status: 'succeeded', run_id: r.runId, seconds: seconds(), summary: r.summary };
      } catch (e) {
        failed.add(m.name);
        const details = (e as { details?: { runId?: number } }).details;
        row = { model: m.name, status: 'failed', run_id: details?.runId ?? null, seconds: seconds(), summary: e instanceof Error ? e.message : String(e) };
      }
    }
    rows.push(row);
    options.onResult?.(row);
  }
  return rows;
}
