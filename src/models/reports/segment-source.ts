import { sql, type RawBuilder } from 'kysely';
import { AppError } from '../../errors.ts';
import type { Warehouse } from '../../warehouse/index.ts';

/**
 * The customer → segment mapping that `segment` group-bys use: the RFM segment (rfm_scores.rfm_label)
 * of the latest succeeded segments run (src/models/segments). Customers without an RFM score
 * (no completed order in the lookback) get '(no RFM segment)' from the caller's coalesce.
 * Returns a subquery with columns (customer_id, segment) and a note naming the run.
 */
export async function segmentJoinSource(wh: Warehouse): Promise<{ source: RawBuilder<unknown>; runId: number; note: string }> {
  const tables = await wh.all<{ table_name: string }>(
    "select table_name from information_schema.tables where table_name in ('segment_runs', 'rfm_scores')",
  );
  if (tables.length < 2) throw noRun();
  const [run] = await wh.all<{ run_id: number | null; as_of: string | null }>(
    "select run_id, as_of::varchar as as_of from segment_runs where status = 'succeeded' order by run_id desc limit 1",
  );
  if (!run?.run_id) throw noRun();
  return {
    runId: run.run_id,
    source: sql`(select customer_id, rfm_label as segment from rfm_scores where run_id = ${run.run_id})`,
    note: `segment: the customer's RFM segment from segments run ${run.run_id} (as of ${run.as_of}); customers without a completed order have none.`,
  };
}

function noRun(): AppError {
  return new AppError('NOT_FOUND', 'group-by or filter "segment" needs a segments run (RFM): run `crm models run segments` first');
}
