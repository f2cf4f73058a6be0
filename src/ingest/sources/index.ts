import { listValue } from '@duckdb/node-api';
import type { ConnectionQueries } from '../../warehouse/connection.ts';
import { quoteIdent } from '../../warehouse/sql-files.ts';
import type { Pipeline, SourceSpec } from '../pipeline-schema.ts';
import { stageFiles, type Staged } from './files.ts';
import { stagePostgres } from './postgres.ts';

export type { Staged } from './files.ts';

/**
 * What a stager may use besides its source: the stored watermark and the pipeline (a database
 * source pushes the incremental predicate down to the source column the watermark field maps from).
 */
export interface StageOptions {
  watermark?: string | null;
  pipeline?: Pipeline;
  /** The caller reads the source once through `Staged.scan` where a stager offers it (delimited CSV). */
  lazy?: boolean;
}

/** Stages any source into the temp table or view `stg` (text columns + _file + _row) on this connection. */
export type Stager<S extends SourceSpec = SourceSpec> = (q: ConnectionQueries, source: S, options: StageOptions) => Promise<Staged>;

const stagers: { [T in SourceSpec['type']]?: Stager<Extract<SourceSpec, { type: T }>> } = {
  csv: stageFiles,
  json: stageFiles,
  ndjson: stageFiles,
  parquet: stageFiles,
  postgres: stagePostgres,
};

export async function stage(q: ConnectionQueries, source: SourceSpec, options: StageOptions = {}): Promise<Staged> {
  const stager = stagers[source.type] as Stager | undefined;
  if (!stager) throw new Error(`no stager registered for source type ${source.type}`);
  return stager(q, source, options);
}

/** A short human description of a source for run logs (never a connection string). */
export function describeSource(source: SourceSpec): string {
  return source.type === 'postgres' ? `postgres:${source.table ?? 'query'}` : source.path;
}

/** The temp objects staging may leave: `stg` is a view over `raw_stg` or a table of its own. */
export const stagingObjects = ['stg', 'raw_stg', 'stg_broken', 'stg_keys', 'stg_files', 'crm_rejects', 'crm_reject_scans', 'crm_scan_pos', 'crm_located'];

/** Drops this connection's temp tables and views of these names, views first (DuckDB refuses `drop table` on a view). */
export async function dropTemp(q: ConnectionQueries, names: string[]): Promise<void> {
  const objects = await q.all<{ name: string; kind: string }>(
    `select view_name as name, 'view' as kind from duckdb_views() where temporary and list_contains($names, view_name)
     union all
     select table_name, 'table' from duckdb_tables() where temporary and list_contains($names, table_name)
     order by kind desc`,
    { names: listValue(names) },
  );
  for (const o of objects) await q.run(`drop ${o.kind} if exists ${quoteIdent(o.name)}`);
}
