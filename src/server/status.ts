import type { Warehouse } from '../warehouse/index.ts';
import { sqlFile } from '../warehouse/index.ts';
import { dataAsOf } from '../publish/dashboards/index.ts';

export interface WarehouseStatus {
  dataVersion: number;
  /** When the last successful load finished (ISO UTC), or null before the first load. */
  dataAsOf: string | null;
  tables: { table_name: string; row_count: number }[];
  recentRuns: {
    run_id: number;
    pipeline: string;
    entity: string;
    status: string;
    started_at: string;
    finished_at: string | null;
    duration_ms: number | null;
    rows_read: number | null;
    rows_loaded: number;
    rows_quarantined: number | null;
    error: string | null;
  }[];
  quarantine: { pipeline: string; rows_quarantined: number; problems: number; last_run_id: number; most_common_reason: string }[];
}

/** Row counts, recent pipeline runs and quarantine totals: what `/status` reports. */
export async function warehouseStatus(wh: Warehouse, options: { runs?: number } = {}): Promise<WarehouseStatus> {
  const [dataVersion, tables, recentRuns, quarantine, asOf] = await Promise.all([
    wh.dataVersion(),
    wh.all<WarehouseStatus['tables'][number]>(sqlFile('dashboards/ops/table_counts')),
    wh.all<WarehouseStatus['recentRuns'][number]>(sqlFile('dashboards/ops/recent_runs'), { limit: options.runs ?? 20 }),
    wh.all<WarehouseStatus['quarantine'][number]>(sqlFile('dashboards/ops/quarantine_by_pipeline')),
    dataAsOf(wh),
  ]);
  return { dataVersion, dataAsOf: asOf, tables, recentRuns, quarantine };
}
