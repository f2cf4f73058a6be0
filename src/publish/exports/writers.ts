import { createReadStream, createWriteStream } from 'node:fs';
import { createHash } from 'node:crypto';
import { extname } from 'node:path';
import { finished } from 'node:stream/promises';
import { DuckDBTypeId, type DuckDBConnection, type DuckDBType, type DuckDBValue } from '@duckdb/node-api';
import {
  Bool,
  DateDay,
  Decimal,
  Field,
  Float32,
  Float64,
  Int16,
  Int32,
  Int64,
  makeData,
  RecordBatch,
  RecordBatchFileWriter,
  Schema,
  Struct,
  TimestampMicrosecond,
  Utf8,
  vectorFromArray,
  type DataType,
} from 'apache-arrow';
import { sql, type RawBuilder } from 'kysely';
import { AppError } from '../../errors.ts';

/**
 * File writers. CSV, NDJSON, JSON and Parquet are written by DuckDB itself (`COPY (select …) TO`),
 * so rows never pass through JS; Arrow IPC has no DuckDB writer here, so it is built with
 * apache-arrow from DuckDB's result chunks, streamed to disk in record batches of up to 64k rows.
 */

export const formats = ['csv', 'ndjson', 'json', 'parquet', 'arrow'] as const;
export type Format = (typeof formats)[number];

const byExtension: Record<string, Format> = {
  '.csv': 'csv',
  '.ndjson': 'ndjson',
  '.jsonl': 'ndjson',
  '.json': 'json',
  '.parquet': 'parquet',
  '.arrow': 'arrow',
  '.ipc': 'arrow',
  '.feather': 'arrow',
};

/** The format named by a file's extension, if any. */
export function formatFromPath(path: string): Format | undefined {
  return byExtension[extname(path).toLowerCase()];
}

/** A path as a SQL string literal (COPY cannot take its target as a parameter). */
export function sqlString(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

const copyOptions: Record<Exclude<Format, 'arrow'>, string> = {
  csv: "format csv, header true, delimiter ',', quote '\"', escape '\"'",
  ndjson: 'format json',
  json: 'format json, array true',
  parquet: 'format parquet, compression zstd',
};

/** What a cell must start with to be read as a formula: = + - @ tab CR (as SQL literals). */
const formulaStarts = ["'='", "'+'", "'-'", "'@'", 'chr(9)', 'chr(13)'];

/**
 * Neutralises spreadsheet formulas in a CSV text cell: a value starting with = + - @ tab or CR gets a
 * leading apostrophe — except a plain signed number or phone number ("+49 30 1234567", "-12.5"),
 * which no spreadsheet runs as a formula and which must reach a dialler unchanged.
 */
export function csvSafe(e: RawBuilder<unknown>): RawBuilder<string> {
  // The range test is a cheap prefilter (DuckDB compares a string's inlined prefix): only values that
  // start below '.' (tab, CR, '+', '-', …) or within '='..'@' go on to the exact test. That test is a
  // chain of prefix checks rather than `left(x, 1) in (…)`, which DuckDB rewrites into a join run on
  // every row instead of only on the few the prefilter lets through.
  const starts = formulaStarts.map((c) => sql`starts_with(${e}, ${sql.raw(c)})`);
  return sql<string>`case when (${e} < '.' or (${e} >= '=' and ${e} < 'A')) and (${sql.join(starts, sql` or `)})
    and not regexp_full_match(${e}, '[+-]?[0-9][0-9 ().-]*') then '''' || ${e} else ${e} end`;
}

/** Timestamps as ISO-8601 UTC text in text formats (Parquet and Arrow keep them typed). */
export function isoText(e: RawBuilder<unknown>): RawBuilder<string> {
  return sql<string>`strftime(${e}, '%Y-%m-%dT%H:%M:%S.%gZ')`;
}

/** Runs `COPY (<select>) TO path`; returns the rows written. */
export async function copyTo(conn: DuckDBConnection, select: { sql: string; parameters: readonly unknown[] }, path: string, format: Exclude<Format, 'arrow'>): Promise<number> {
  const reader = await conn.runAndReadAll(`copy (${select.sql}) to ${sqlString(path)} (${copyOptions[format]})`, select.parameters as DuckDBValue[]);
  const rows = reader.getRows();
  return rows.length && rows[0].length ? Number(rows[0][0]) : reader.rowsChanged;
}

// Arrow -------------------------------------------------------------------------------------------

function arrowType(t: DuckDBType): DataType {
  switch (t.typeId) {
    case DuckDBTypeId.BOOLEAN:
      return new Bool();
    case DuckDBTypeId.SMALLINT:
    case DuckDBTypeId.TINYINT:
      return new Int16();
    case DuckDBTypeId.INTEGER:
      return new Int32();
    case DuckDBTypeId.BIGINT:
      return new Int64();
    case DuckDBTypeId.FLOAT:
      return new Float32();
    case DuckDBTypeId.DOUBLE:
      return new Float64();
    case DuckDBTypeId.DECIMAL: {
      const d = t as unknown as { width: number; scale: number };
      return new Decimal(d.scale, d.width, 128);
    }
    case DuckDBTypeId.DATE:
      return new DateDay();
    case DuckDBTypeId.TIMESTAMP_TZ:
      return new TimestampMicrosecond('UTC');
    case DuckDBTypeId.TIMESTAMP:
      return new TimestampMicrosecond();
    case DuckDBTypeId.VARCHAR:
      return new Utf8();
    default:
      throw new AppError('VALIDATION', `cannot write a column of type ${t.toString()} to Arrow; cast it or pick another format`);
  }
}

function nullBitmap(values: readonly unknown[]): { bitmap: Uint8Array; nulls: number } {
  const bitmap = new Uint8Array(Math.ceil(values.length / 8));
  let nulls = 0;
  for (let i = 0; i < values.length; i++) {
    if (values[i] === null) nulls++;
    else bitmap[i >> 3] |= 1 << (i & 7);
  }
  return { bitmap, nulls };
}

/** One Arrow column from DuckDB values; exact: decimals as 128-bit unscaled integers, timestamps in µs. */
function arrowColumn(type: DataType, values: DuckDBValue[]) {
  const n = values.length;
  const { bitmap, nulls } = nullBitmap(values);
  const fixed = (data: ArrayLike<unknown>) => makeData({ type: type as never, length: n, nullCount: nulls, nullBitmap: bitmap, data: data as never });
  if (type instanceof Decimal) {
    const words = new Uint32Array(n * 4);
    for (let i = 0; i < n; i++) {
      const v = values[i] as { value: bigint } | null;
      if (v === null) continue;
      let x = BigInt.asUintN(128, v.value);
      for (let w = 0; w < 4; w++) {
        words[i * 4 + w] = Number(x & 0xffffffffn);
        x >>= 32n;
      }
    }
    return fixed(words);
  }
  if (type instanceof TimestampMicrosecond) return fixed(BigInt64Array.from(values, (v) => (v === null ? 0n : (v as unknown as { micros: bigint }).micros)));
  if (type instanceof DateDay) return fixed(Int32Array.from(values, (v) => (v === null ? 0 : (v as unknown as { days: number }).days)));
  if (type instanceof Int64) return fixed(BigInt64Array.from(values, (v) => (v === null ? 0n : BigInt(v as bigint))));
  if (type instanceof Int32) return fixed(Int32Array.from(values, (v) => (v === null ? 0 : Number(v))));
  if (type instanceof Int16) return fixed(Int16Array.from(values, (v) => (v === null ? 0 : Number(v))));
  if (type instanceof Float64) return fixed(Float64Array.from(values, (v) => (v === null ? 0 : Number(v))));
  if (type instanceof Utf8) {
    // One UTF-8 buffer and its offsets, written directly (much faster than a builder).
    let upper = 0;
    for (const v of values) if (v !== null) upper += (v as string).length * 3;
    const data = Buffer.allocUnsafe(upper);
    const valueOffsets = new Int32Array(n + 1);
    let off = 0;
    for (let i = 0; i < n; i++) {
      valueOffsets[i] = off;
      const v = values[i];
      if (v !== null) off += data.write(v as string, off, 'utf8');
    }
    valueOffsets[n] = off;
    return makeData({ type, length: n, nullCount: nulls, nullBitmap: bitmap, valueOffsets, data: data.subarray(0, off) });
  }
  return vectorFromArray(values as unknown[], type).data[0];
}

/** Streams a query's result into an Arrow IPC file; returns the rows written. */
export async function writeArrow(conn: DuckDBConnection, select: { sql: string; parameters: readonly unknown[] }, path: string): Promise<number> {
  const result = await conn.stream(select.sql, select.parameters as DuckDBValue[]);
  const names = result.columnNames();
  const types = result.columnTypes().map(arrowType);
  const schema = new Schema(names.map((n, i) => new Field(n, types[i], true)));
  const writer = new RecordBatchFileWriter();
  const out = createWriteStream(path);
  const piped = writer.toNodeStream().pipe(out);
  writer.reset(undefined, schema);
  let pending: DuckDBValue[][] = names.map(() => []);
  let pendingRows = 0;
  let total = 0;
  const flush = () => {
    if (!pendingRows) return;
    const data = makeData({ type: new Struct(schema.fields), length: pendingRows, nullCount: 0, children: pending.map((vals, i) => arrowColumn(types[i], vals)) });
    writer.write(new RecordBatch(schema, data));
    total += pendingRows;
    pending = names.map(() => []);
    pendingRows = 0;
  };
  for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
    for (let c = 0; c < names.length; c++) {
      const vals = chunk.getColumnValues(c);
      for (const v of vals) pending[c].push(v);
    }
    pendingRows += chunk.rowCount;
    if (pendingRows >= 65_536) flush();
  }
  flush();
  writer.finish();
  await finished(piped);
  return total;
}

/** sha256 and size of a file, streamed. */
export async function fileDigest(path: string): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), bytes };
}
