import { AppError } from '../../errors.ts';
import type { Queryable } from '../../warehouse/index.ts';
import type { ExportLogTable } from '../../models/segments/tables.ts';

/** The export audit log (export_log): what was exported, when, by whom, with which counts. */

export type ExportLogRow = Omit<ExportLogTable, 'definition' | 'fields' | 'model_runs'> & {
  definition: unknown;
  fields: string[];
  model_runs: Record<string, unknown>;
};

const parse = (r: ExportLogTable): ExportLogRow => ({
  ...r,
  definition: JSON.parse(r.definition),
  fields: JSON.parse(r.fields),
  model_runs: JSON.parse(r.model_runs),
});

/** Recent exports, newest first, optionally of one segment or campaign. */
export async function listExports(q: Queryable, o: { segment?: string; campaign?: string; limit?: number } = {}): Promise<ExportLogRow[]> {
  const rows = await q.all<ExportLogTable>(
    `select * from export_log
     where ($segment is null or segment_name = $segment) and ($campaign is null or campaign_id = $campaign)
     order by export_id desc limit $limit`,
    { segment: o.segment ?? null, campaign: o.campaign ?? null, limit: o.limit ?? 50 },
  );
  return rows.map(parse);
}

/** One export's manifest. */
export async function getExport(q: Queryable, exportId: number): Promise<ExportLogRow> {
  const [row] = await q.all<ExportLogTable>('select * from export_log where export_id = $id', { id: exportId });
  if (!row) throw new AppError('NOT_FOUND', `export ${exportId} does not exist (see \`crm export list\`)`);
  return parse(row);
}
