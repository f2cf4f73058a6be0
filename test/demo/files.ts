import { readFileSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';

/** Splits one CSV line (RFC 4180, no line breaks inside fields) into its fields. */
export function parseCsvLine(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  for (;;) {
    if (line[i] === '"') {
      let v = '';
      i++;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q < 0) throw new Error(`unterminated quote in: ${line}`);
        v += line.slice(i, q);
        if (line[q + 1] === '"') {
          v += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      out.push(v);
    } else {
      const c = line.indexOf(',', i);
      out.push(line.slice(i, c < 0 ? line.length : c));
      i = c < 0 ? line.length : c;
    }
    if (i >= line.length) break;
    if (line[i] !== ',') throw new Error(`expected a comma at ${i} in: ${line}`);
    i++;
    if (i === line.length) {
      out.push('');
      break;
    }
  }
  return out;
}

/** A CSV file as its header and rows (objects keyed by column), asserting every row has every column. */
export function readCsv(path: string): { columns: string[]; rows: Record<string, string>[]; lines: string[] } {
  const text = readFileSync(path, 'utf8');
  if (!text.endsWith('\n')) throw new Error(`${path} does not end with a newline`);
  const lines = text.slice(0, -1).split('\n');
  const columns = parseCsvLine(lines[0]);
  const rows = lines.slice(1).map((l, i) => {
    const cells = parseCsvLine(l);
    if (cells.length !== columns.length) throw new Error(`${path}:${i + 2}: ${cells.length} fields, header has ${columns.length}`);
    return Object.fromEntries(columns.map((c, k) => [c, cells[k]]));
  });
  return { columns, rows, lines };
}

export function readNdjson(path: string): Record<string, unknown>[] {
  const text = readFileSync(path, 'utf8');
  return text
    .slice(0, -1)
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Rows of a Parquet file with every value as text (null stays null). */
export async function readParquet(path: string): Promise<{ columns: string[]; rows: Record<string, string | null>[] }> {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    await conn.run("set TimeZone = 'UTC'");
    const reader = await conn.runAndReadAll(`select columns(*)::varchar from read_parquet('${path.replaceAll("'", "''")}')`);
    return { columns: reader.columnNames(), rows: reader.getRowObjectsJson() as Record<string, string | null>[] };
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}
