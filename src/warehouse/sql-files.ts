import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppError } from '../errors.ts';

/** The top-level `queries/` folder. */
export const queriesDir = resolve(dirname(fileURLToPath(import.meta.url)), '../../queries');

const cache = new Map<string, string>();

/**
 * The text of `queries/<name>.sql`, cached. Names are code constants, never user input.
 *
 * @example
 * await wh.all(sqlFile('models/clv/summary'), { calibration_end: '1997-09-30' });
 */
export function sqlFile(name: string): string {
  let sql = cache.get(name);
  if (sql === undefined) {
    try {
      sql = readFileSync(join(queriesDir, `${name}.sql`), 'utf8');
    } catch {
      throw new AppError('INTERNAL', `query file queries/${name}.sql is missing`);
    }
    cache.set(name, sql);
  }
  return sql;
}

/** Double-quotes an identifier that has already been checked against a whitelist. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
