import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';

/**
 * Runs a query whose columns are all numeric and returns them as Float64Arrays, chunk by chunk
 * (no row objects): the way to pull a few hundred thousand compressed rows into a fit.
 * NULL becomes NaN. DOUBLE columns without NULLs are copied straight from the chunk's buffer.
 */
export async function readNumericColumns<K extends string>(conn: DuckDBConnection, sql: string, params?: Record<string, unknown>): Promise<Record<K, Float64Array>> {
  const bound = params && Object.fromEntries(Object.entries(params).map(([k, v]) => [k, (v === undefined ? null : v) as DuckDBValue]));
  // Materialised (not streamed): the query completes in DuckDB's threads even while JS is busy.
  const result = await conn.run(sql, bound);
  const names = result.columnNames() as K[];
  const columns = names.map(() => new Float64Array(result.rowCount));
  let offset = 0;
  // The result is materialised: its chunks are read synchronously (getChunk), not fetched one awaited
  // round trip at a time (~500 of them for a million rows, 0.1–0.2 s when JS was busy while the query ran).
  for (let k = 0, count = result.chunkCount; k < count; k++) {
    const chunk = result.getChunk(k);
    if (chunk.rowCount === 0) continue;
    for (let c = 0; c < names.length; c++) {
      const vector = chunk.getColumnVector(c);
      const out = columns[c];
      // node-api keeps a DOUBLE vector's values in a Float64Array over DuckDB's buffer (`items`, not public);
      // its validity mask is null when no value is NULL. Otherwise go value by value.
      const raw = vector as unknown as { items?: unknown; validity?: { data?: unknown } };
      if (raw.items instanceof Float64Array && raw.items.length === chunk.rowCount && raw.validity && raw.validity.data === null) {
        out.set(raw.items, offset);
        continue;
      }
      for (let i = 0; i < chunk.rowCount; i++) {
        const v = vector.getItem(i);
        out[offset + i] = v === null ? NaN : typeof v === 'number' ? v : Number(v);
      }
    }
    offset += chunk.rowCount;
  }
  return Object.fromEntries(names.map((n, c) => [n, offset === columns[c].length ? columns[c] : columns[c].subarray(0, offset)])) as Record<K, Float64Array>;
}

/**
 * Collapses runs of identical rows in columns read in sorted order (`order by all`) into distinct rows
 * with a `weight` column counting the rows each stands for — what `count(*) … group by all order by
 * all` returns, in the same order, without DuckDB hashing a million rows into groups before sorting
 * the groups again. NaN (a NULL) equals NaN, as NULLs group together.
 *
 * @example
 * countSortedRows({ x: Float64Array.of(0, 0, 2) }) // { x: [0, 2], weight: [2, 1] }
 */
export function countSortedRows<K extends string>(columns: Record<K, Float64Array>): Record<K | 'weight', Float64Array> {
  const names = Object.keys(columns) as K[];
  const n = names.length ? columns[names[0]].length : 0;
  // A row starts a new group where any column differs from the row before; one column at a time (tight,
  // monomorphic loops), then the first row of each group is gathered and the groups' lengths are the weights.
  const starts = new Uint8Array(n);
  if (n > 0) starts[0] = 1;
  for (const k of names) {
    const v = columns[k];
    for (let i = 1; i < n; i++) {
      const a = v[i];
      const b = v[i - 1];
      if (a !== b && (a === a || b === b)) starts[i] = 1;
    }
  }
  let groups = 0;
  for (let i = 0; i < n; i++) groups += starts[i];
  const first = new Uint32Array(groups);
  for (let i = 0, g = 0; i < n; i++) if (starts[i]) first[g++] = i;
  const result = {} as Record<K | 'weight', Float64Array>;
  for (const k of names) {
    const v = columns[k];
    const out = new Float64Array(groups);
    for (let g = 0; g < groups; g++) out[g] = v[first[g]];
    result[k] = out;
  }
  const weight = new Float64Array(groups);
  for (let g = 0; g < groups; g++) weight[g] = (g + 1 < groups ? first[g + 1] : n) - first[g];
  result.weight = weight;
  return result;
}

export type AppendType = 'double' | 'integer' | 'bigint' | 'varchar' | 'boolean';

/**
 * Appends rows to a table with the Appender, one typed column array per table column (in table
 * order). Explicit types: node-api would otherwise infer a bind type from the first value (a list
 * starting with 1 becomes INTEGER[] and truncates 0.5). null, undefined and NaN become NULL; DATE
 * columns take 'YYYY-MM-DD' as varchar. Runs inside the connection's open transaction, if any.
 */
export async function appendRows(
  conn: DuckDBConnection,
  table: string,
  columns: { type: AppendType; values: ArrayLike<unknown> }[],
  schema: string | null = null,
  catalog: string | null = null,
): Promise<void> {
  const appender = await conn.createAppender(table, schema, catalog);
  const n = columns[0]?.values.length ?? 0;
  try {
    for (let i = 0; i < n; i++) {
      for (const c of columns) {
        const v = c.values[i];
        if (v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v))) {
          appender.appendNull();
          continue;
        }
        switch (c.type) {
          case 'double':
            appender.appendDouble(Number(v));
            break;
          case 'integer':
            appender.appendInteger(Number(v));
            break;
          case 'bigint':
            appender.appendBigInt(BigInt(v as number));
            break;
          case 'boolean':
            appender.appendBoolean(Boolean(v));
            break;
          default:
            appender.appendVarchar(String(v));
        }
      }
      appender.endRow();
    }
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
}
