import type { ConnectionQueries } from '../../warehouse/connection.ts';
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
}

/** Stages any source into the temp table `stg` (text columns + _file + _row) on this connection. */
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
