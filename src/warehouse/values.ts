import {
  createDuckDBValueConverter,
  DuckDBTypeId,
  JSDuckDBValueConverter,
  type DuckDBValue,
  type DuckDBValueConverter,
} from '@duckdb/node-api';

/** A JSON-friendly plain value, as every query helper returns it. */
export type Plain = string | number | boolean | null | Plain[] | { [k: string]: Plain };

const asNumber = (v: DuckDBValue): number | string => {
  const n = typeof v === 'bigint' ? v : BigInt(String(v));
  return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n.toString();
};
const asString = (v: DuckDBValue): string => String(v);
const asIso = (v: DuckDBValue, t: Parameters<DuckDBValueConverter<Plain>>[1], c: DuckDBValueConverter<Plain>) => {
  const d = JSDuckDBValueConverter(v, t, JSDuckDBValueConverter as never) as Date | null;
  void c;
  return d && !Number.isNaN(d.getTime()) ? d.toISOString() : String(v);
};
const js = (v: DuckDBValue, t: Parameters<DuckDBValueConverter<Plain>>[1], c: DuckDBValueConverter<Plain>) =>
  JSDuckDBValueConverter(v, t, c as never) as Plain;

const byId = {} as Record<DuckDBTypeId, DuckDBValueConverter<Plain> | undefined>;
for (const id of Object.values(DuckDBTypeId)) if (typeof id === 'number') byId[id as DuckDBTypeId] = js;
byId[DuckDBTypeId.BIGINT] = asNumber;
byId[DuckDBTypeId.UBIGINT] = asNumber;
byId[DuckDBTypeId.HUGEINT] = asNumber;
byId[DuckDBTypeId.UHUGEINT] = asNumber;
byId[DuckDBTypeId.DATE] = asString; // 'YYYY-MM-DD': a date has no time zone, keep it that way
byId[DuckDBTypeId.TIMESTAMP_TZ] = asIso;
byId[DuckDBTypeId.TIMESTAMP] = asIso;
byId[DuckDBTypeId.TIME] = asString;
byId[DuckDBTypeId.INTERVAL] = asString;

/**
 * DuckDB value → plain JS: integers as numbers (strings beyond 2^53), DECIMAL as number,
 * DATE as 'YYYY-MM-DD', timestamps as ISO-8601 UTC strings.
 */
export const plainConverter: DuckDBValueConverter<Plain> = createDuckDBValueConverter(byId);

/** JS parameter → DuckDB bind value. Dates bind as ISO strings (DuckDB casts them). */
export function toParam(v: unknown): DuckDBValue {
  if (v === undefined) return null;
  if (v instanceof Date) return v.toISOString();
  return v as DuckDBValue;
}
