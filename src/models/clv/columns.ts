import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';

/**
 * Runs a query whose columns are all numeric and returns them as Float64Arrays, streaming chunks
 * (no row objects): the way to pull a few hundred thousand compressed rows into a fit.
 * NULL becomes NaN.
 */
export async function readNumericColumns<K extends string>(conn: DuckDBConnection, sql: string, params?: Record<string, unknown>): Promise<Record<K, Float64Array>> {
  const bound = params && Object.fromEntries(Object.entries(params).map(([k, v]) => [k, (v === undefined ? null : v) as DuckDBValue]));
  const result = await conn.stream(sql, bound);
  const names = result.columnNames() as K[];
  const parts: number[][] = names.map(() => []);
  for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
    for (let c = 0; c < names.length; c++) {
      const vector = chunk.getColumnVector(c);
      const out = parts[c];
      for (let i = 0; i < chunk.rowCount; i++) {
        const v = vector.getItem(i);
        out.push(v === null ? NaN : Number(v));
      }
    }
  }
  return Object.fromEntries(names.map((n, c) => [n, Float64Array.from(parts[c])])) as Record<K, Float64Array>;
}
