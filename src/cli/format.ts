import { AppError } from '../errors.ts';
import type { Plain } from '../warehouse/values.ts';

export type OutputFormat = 'table' | 'csv' | 'json';

/** Validates a --format flag. */
export function formatOf(f: string): OutputFormat {
  if (f !== 'table' && f !== 'csv' && f !== 'json') throw new AppError('VALIDATION', `--format must be table, csv or json (got "${f}")`);
  return f;
}
type Rows = Record<string, Plain>[];

function cell(v: Plain): string {
  if (v === null) return '';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** An aligned text table; numbers right-aligned. */
export function formatTable(rows: Rows, columns = rows[0] ? Object.keys(rows[0]) : []): string {
  if (!columns.length) return '(no rows)';
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c] ?? null).length)));
  const line = (vals: string[], nums: boolean[]) =>
    vals.map((v, i) => (nums[i] ? v.padStart(widths[i]) : v.padEnd(widths[i]))).join('  ').trimEnd();
  const numeric = columns.map((c) => rows.length > 0 && rows.every((r) => r[c] === null || typeof r[c] === 'number'));
  const out = [line(columns, numeric), widths.map((w) => '-'.repeat(w)).join('  ')];
  for (const r of rows) out.push(line(columns.map((c) => cell(r[c] ?? null)), numeric));
  out.push(`(${rows.length} row${rows.length === 1 ? '' : 's'})`);
  return out.join('\n');
}

/** RFC 4180 CSV. */
export function formatCsv(rows: Rows, columns = rows[0] ? Object.keys(rows[0]) : []): string {
  const q = (s: string) => (/[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s);
  return [columns.map(q).join(','), ...rows.map((r) => columns.map((c) => q(cell(r[c] ?? null))).join(','))].join('\n');
}

export function formatRows(rows: Rows, format: OutputFormat, columns?: string[]): string {
  if (format === 'json') return JSON.stringify(rows, null, 2);
  if (format === 'csv') return formatCsv(rows, columns);
  return formatTable(rows, columns);
}
