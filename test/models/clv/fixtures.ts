import type { Queryable } from '../../../src/warehouse/index.ts';

/** The CDNOW reference data (read-only, shared): see its README for provenance and conventions. */
export const cdnowDir = process.env.CRM_CDNOW_DIR ?? '/work/shared/data/cdnow';
export const cdnowSample = `${cdnowDir}/CDNOW_sample.txt`;

/**
 * Loads CDNOW_sample.txt straight into `orders` with SQL (no ingest pipeline): customer_id = the
 * sample id (1..2357), one completed order per row, ordered_at = the day at 00:00 UTC.
 */
export async function loadCdnowOrders(wh: Queryable, file = cdnowSample): Promise<number> {
  return wh.run(
    `insert into orders (order_id, customer_id, ordered_at, status, total_amount, item_count)
     select 'cdnow-' || n, cast(f[2] as bigint), cast(strptime(f[3], '%Y%m%d') as timestamptz), 'completed',
            cast(f[5] as decimal(18, 2)), cast(f[4] as integer)
     from (
       select row_number() over () as n, regexp_split_to_array(trim(line), '\\s+') as f
       from read_text($file), unnest(string_split(content, chr(10))) as t(line)
       where trim(line) <> ''
     )`,
    { file },
  );
}

/** Parses a small CSV with a header into objects of numbers. */
export function parseNumericCsv(text: string): Record<string, number>[] {
  const [head, ...lines] = text.trim().split(/\r?\n/);
  const cols = head.split(',');
  return lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [cols[i], Number(v)])));
}
