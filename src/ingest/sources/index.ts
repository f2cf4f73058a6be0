import type { ConnectionQueries } from '../../warehouse/connection.ts';
import type { SourceSpec } from '../pipeline-schema.ts';
import { stageFiles, type Staged } from './files.ts';

export type { Staged } from './files.ts';

/** Stages any source into the temp table `stg` (text columns + _file + _row) on this connection. */
export type Stager<S extends SourceSpec = SourceSpec> = (q: ConnectionQueries, source: S, options: { watermark?: string | null }) => Promise<Staged>;

const stagers: { [T in SourceSpec['type']]?: Stager<Extract<SourceSpec, { type: T }>> } = {
  csv: stageFiles,
  json: stageFiles,
  ndjson: stageFiles,
  parquet: stageFiles,
};

export async function stage(q: ConnectionQueries, source: SourceSpec, options: { watermark?: string | null } = {}): Promise<Staged> {
  const stager = stagers[source.type] as Stager | undefined;
  if (!stager) throw new Error(`no stager registered for source type ${source.type}`);
  return stager(q, source, options);
}

/** A short human description of a source for run logs (never a connection string). */
export function describeSource(source: SourceSpec): string {
  return source.type === 'postgres' ? `postgres:${source.table ?? 'query'}` : source.path;
}
