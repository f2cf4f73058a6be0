import { Bool, DateDay, Float64, Int32, Int64, TimestampMillisecond, Utf8, tableToIPC, vectorFromArray, Table, type DataType, type Vector } from 'apache-arrow';
import type { PanelColumn } from './data.ts';
import type { Row } from '../../warehouse/index.ts';

/** Arrow type for a DuckDB column type; values arrive as the plain converter makes them. */
function arrowColumn(col: PanelColumn, rows: Row[]): Vector {
  const t = col.type.toUpperCase();
  const values = rows.map((r) => r[col.name] ?? null);
  const vec = <T extends DataType>(type: T, f: (v: NonNullable<Row[string]>) => unknown) =>
    vectorFromArray(values.map((v) => (v === null ? null : f(v))), type) as Vector;
  if (t === 'BOOLEAN') return vec(new Bool(), (v) => Boolean(v));
  if (['TINYINT', 'SMALLINT', 'INTEGER', 'UTINYINT', 'USMALLINT'].includes(t)) return vec(new Int32(), (v) => Number(v));
  if (['BIGINT', 'HUGEINT', 'UINTEGER', 'UBIGINT'].includes(t)) return vec(new Int64(), (v) => BigInt(v as number | string));
  if (t.startsWith('DECIMAL') || ['DOUBLE', 'FLOAT', 'REAL'].includes(t)) return vec(new Float64(), (v) => Number(v));
  if (t === 'DATE') return vec(new DateDay(), (v) => new Date(`${String(v)}T00:00:00Z`));
  if (t.startsWith('TIMESTAMP')) return vec(new TimestampMillisecond(t.includes('TIME ZONE') ? 'UTC' : null), (v) => Date.parse(String(v)));
  return vec(new Utf8(), (v) => (typeof v === 'object' ? JSON.stringify(v) : String(v)));
}

/**
 * A panel's rows as an Arrow IPC stream (`application/vnd.apache.arrow.stream`), typed from
 * the query's DuckDB column types: integers Int32/Int64, DECIMAL and DOUBLE Float64, DATE DateDay,
 * TIMESTAMPTZ Timestamp(ms, UTC), text Utf8.
 */
export function toArrowIPC(columns: PanelColumn[], rows: Row[]): Uint8Array {
  const vectors: Record<string, Vector> = {};
  for (const c of columns) vectors[c.name] = arrowColumn(c, rows);
  return tableToIPC(new Table(vectors), 'stream');
}
