import type { Row } from '../../warehouse/index.ts';

/**
 * RFC 4180 CSV of a panel's rows, UTF-8, CRLF line ends. Text cells that a spreadsheet would
 * run as a formula (starting with =, +, -, @, tab or CR) are prefixed with an apostrophe;
 * numbers are written as numbers.
 */
export function toCsv(columns: string[], rows: Row[]): string {
  const cell = (v: Row[string]): string => {
    if (v === null || v === undefined) return '';
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    let s = typeof v === 'object' ? JSON.stringify(v) : v;
    if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
    return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
  };
  const head = columns.map((c) => cell(c)).join(',');
  return [head, ...rows.map((r) => columns.map((c) => cell(r[c])).join(','))].join('\r\n') + '\r\n';
}
