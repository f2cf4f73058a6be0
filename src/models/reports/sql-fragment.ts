import { sql, type RawBuilder } from 'kysely';
import { AppError } from '../../errors.ts';
import { sqlFile } from '../../warehouse/index.ts';

/**
 * A `queries/<name>.sql` file as a Kysely fragment: its `$name` parameters become Kysely bound
 * parameters, so static SQL in files composes with run-time Kysely builders (which number their
 * parameters `$1…`; DuckDB cannot mix named and numbered ones in one statement). The file's trailing
 * semicolon is dropped and the text is wrapped in parentheses, ready for `.as('f')`.
 *
 * @example
 * const facts = sqlFragment('reports/sales-orders', { from: '2024-01-01', to: '2025-01-01' });
 * wh.db.selectFrom(facts.as('f')).select(sql`sum(f.revenue)`.as('revenue'))
 * // select sum(f.revenue) as "revenue" from (select … where ordered_at >= $1::timestamptz …) as "f"
 */
export function sqlFragment<T = unknown>(name: string, params: Record<string, unknown>): RawBuilder<T> {
  const text = sqlFile(name).replace(/;\s*$/, '');
  const parts = splitParams(text);
  const pieces: RawBuilder<unknown>[] = [];
  for (const p of parts) {
    if (p.kind === 'text') pieces.push(sql.raw(p.text));
    else {
      if (!(p.name in params)) throw new AppError('INTERNAL', `queries/${name}.sql uses $${p.name}, which was not bound`);
      pieces.push(sql`${params[p.name]}`);
    }
  }
  return sql<T>`(${sql.join(pieces, sql.raw(''))}\n)`;
}

type Part = { kind: 'text'; text: string } | { kind: 'param'; name: string };

/** Splits SQL at `$name` tokens outside string literals, quoted identifiers and comments. */
export function splitParams(text: string): Part[] {
  const parts: Part[] = [];
  let buf = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    const next = text[i + 1];
    if (c === "'" || c === '"') {
      const end = closing(text, i, c);
      buf += text.slice(i, end);
      i = end;
    } else if (c === '-' && next === '-') {
      const end = text.indexOf('\n', i);
      const stop = end < 0 ? text.length : end;
      buf += text.slice(i, stop);
      i = stop;
    } else if (c === '/' && next === '*') {
      const end = text.indexOf('*/', i + 2);
      const stop = end < 0 ? text.length : end + 2;
      buf += text.slice(i, stop);
      i = stop;
    } else if (c === '$' && /[A-Za-z_]/.test(next ?? '')) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i + 1))!;
      if (buf) parts.push({ kind: 'text', text: buf });
      buf = '';
      parts.push({ kind: 'param', name: m[0] });
      i += 1 + m[0].length;
    } else {
      buf += c;
      i++;
    }
  }
  if (buf) parts.push({ kind: 'text', text: buf });
  return parts;
}

function closing(text: string, start: number, quote: string): number {
  let i = start + 1;
  while (i < text.length) {
    if (text[i] === quote) {
      if (text[i + 1] === quote) i += 2;
      else return i + 1;
    } else i++;
  }
  return text.length;
}
