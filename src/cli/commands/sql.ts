import { StatementType } from '@duckdb/node-api';
import { AppError } from '../../errors.ts';
import type { Warehouse } from '../../warehouse/index.ts';
import { plainConverter, type Plain } from '../../warehouse/values.ts';
import { formatRows, type OutputFormat } from '../format.ts';
import type { RegisterCommands } from './index.ts';

/**
 * Runs one analyst statement read-only: DuckDB's own parser says what kind of statement it is
 * (SELECT and EXPLAIN only — DESCRIBE, SHOW, SUMMARIZE and PRAGMA queries parse as SELECT), and
 * it runs in a transaction that is always rolled back.
 *
 * @example
 * await readOnlyQuery(wh, 'select count(*) as n from customers'); // [{ n: 5000 }]
 */
export async function readOnlyQuery(wh: Warehouse, sql: string): Promise<Record<string, Plain>[]> {
  const conn = await wh.connect();
  try {
    let extracted;
    try {
      extracted = await conn.extractStatements(sql);
    } catch (e) {
      throw new AppError('VALIDATION', (e as Error).message.split('\n')[0]);
    }
    if (extracted.count !== 1) throw new AppError('VALIDATION', `one statement at a time (got ${extracted.count})`);
    await conn.run('begin transaction');
    try {
      const stmt = await extracted.prepare(0).catch((e: Error) => {
        throw new AppError('VALIDATION', e.message.split('\n')[0]);
      });
      if (stmt.statementType !== StatementType.SELECT && stmt.statementType !== StatementType.EXPLAIN) {
        throw new AppError('VALIDATION', `crm sql is read-only: ${StatementType[stmt.statementType]} statements are refused (use SELECT, WITH, FROM, DESCRIBE, SHOW, SUMMARIZE or EXPLAIN)`);
      }
      const reader = await stmt.runAndReadAll().catch((e: Error) => {
        throw new AppError('VALIDATION', e.message.split('\n')[0]);
      });
      return reader.convertRowObjects(plainConverter);
    } finally {
      await conn.run('rollback');
    }
  } finally {
    wh.release(conn);
  }
}

export const register: RegisterCommands = (program, ctx) => {
  program
    .command('sql')
    .description('read-only SQL console on the warehouse')
    .argument('<query>', 'one SELECT (or WITH / FROM / DESCRIBE / SHOW / SUMMARIZE / EXPLAIN) statement')
    .option('--format <format>', 'table | csv | json', 'table')
    .action(async (query: string, opts: { format: string }) => {
      if (!['table', 'csv', 'json'].includes(opts.format)) throw new AppError('VALIDATION', `--format must be table, csv or json (got "${opts.format}")`);
      const rows = await readOnlyQuery(await ctx.warehouse(), query);
      ctx.out(formatRows(rows, opts.format as OutputFormat));
    });
};
