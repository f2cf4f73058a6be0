import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { Kysely } from 'kysely';
import { AppError } from '../errors.ts';
import { DuckDBDialect } from './kysely-dialect.ts';
import type { Database } from './schema.ts';
import { plainConverter, toParam, type Plain } from './values.ts';

export type Params = Record<string, unknown> | unknown[];
export type Row = Record<string, Plain>;

/** The statements a connection can run: the Warehouse itself, or a transaction. */
export interface Queryable {
  all<T = Row>(sql: string, params?: Params): Promise<T[]>;
  run(sql: string, params?: Params): Promise<number>;
}

const migrationsDir = join(dirname(fileURLToPath(import.meta.url)), 'migrations');

/** Named parameters the statement uses (DuckDB refuses unused ones, and a shared params object is handy). */
function bind(sql: string, params?: Params) {
  if (!params) return undefined;
  if (Array.isArray(params)) return params.map(toParam);
  const used = new Set(Array.from(sql.matchAll(/\$([A-Za-z_][A-Za-z0-9_]*)/g), (m) => m[1]));
  return Object.fromEntries(Object.entries(params).filter(([k]) => used.has(k)).map(([k, v]) => [k, toParam(v)]));
}

/** Queries on one connection (temp tables and an open transaction live on a connection). */
export class ConnectionQueries implements Queryable {
  constructor(readonly conn: DuckDBConnection) {}
  async all<T = Row>(sql: string, params?: Params): Promise<T[]> {
    try {
      const reader = await this.conn.runAndReadAll(sql, bind(sql, params));
      return reader.convertRowObjects(plainConverter) as T[];
    } catch (e) {
      throw withSql(e, sql);
    }
  }
  async run(sql: string, params?: Params): Promise<number> {
    try {
      const reader = await this.conn.runAndReadAll(sql, bind(sql, params));
      return reader.rowsChanged;
    } catch (e) {
      throw withSql(e, sql);
    }
  }
}

/** Keeps DuckDB's message and adds the SQL that ran, so a failing query can be read off the error. */
function withSql(e: unknown, sql: string): Error {
  const err = e instanceof Error ? e : new Error(String(e));
  (err as Error & { sql?: string }).sql = sql;
  return err;
}

/**
 * One warehouse file, opened once per process (DuckDB holds a file lock). Queries run on
 * pooled connections so that concurrent readers (the server) each get a consistent snapshot.
 *
 * @example
 * const wh = await Warehouse.open('data/crm.duckdb');
 * const [{ n }] = await wh.all<{ n: number }>('select count(*) as n from customers where country = $c', { c: 'DE' });
 */
export class Warehouse implements Queryable {
  readonly db: Kysely<Database>;
  private idle: DuckDBConnection[] = [];
  private closed = false;

  private constructor(
    readonly path: string,
    readonly instance: DuckDBInstance,
  ) {
    this.db = new Kysely<Database>({ dialect: new DuckDBDialect(instance) });
  }

  static async open(path: string, options: { threads?: number; memoryLimit?: string; readOnly?: boolean } = {}): Promise<Warehouse> {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    const config: Record<string, string> = {};
    if (options.threads) config.threads = String(options.threads);
    if (options.memoryLimit) config.memory_limit = options.memoryLimit;
    if (options.readOnly) config.access_mode = 'READ_ONLY';
    let instance: DuckDBInstance;
    try {
      instance = await DuckDBInstance.create(path, config);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      if (/lock/i.test(msg)) {
        throw new AppError('CONFLICT', `warehouse ${path} is in use by another process (${msg.split('\n')[0]}); stop it (e.g. the running server) or set CRM_DB`);
      }
      throw new AppError('INTERNAL', `cannot open warehouse ${path}: ${msg}`);
    }
    const wh = new Warehouse(path, instance);
    if (!options.readOnly) {
      const result = await wh.migrate();
      if (result.error) throw new AppError('INTERNAL', `migration ${result.error.migration} failed: ${result.error.message}`);
    }
    return wh;
  }

  async connect(): Promise<DuckDBConnection> {
    if (this.closed) throw new AppError('INTERNAL', 'warehouse is closed');
    const pooled = this.idle.pop();
    if (pooled) return pooled;
    const conn = await this.instance.connect();
    await conn.run("set TimeZone = 'UTC'");
    return conn;
  }

  release(conn: DuckDBConnection): void {
    if (this.closed || this.idle.length >= 8) conn.closeSync();
    else this.idle.push(conn);
  }

  /** Runs `fn` with a pooled connection. */
  async withConnection<T>(fn: (q: ConnectionQueries) => Promise<T>): Promise<T> {
    const conn = await this.connect();
    try {
      return await fn(new ConnectionQueries(conn));
    } finally {
      this.release(conn);
    }
  }

  all<T = Row>(sql: string, params?: Params): Promise<T[]> {
    return this.withConnection((q) => q.all<T>(sql, params));
  }

  run(sql: string, params?: Params): Promise<number> {
    return this.withConnection((q) => q.run(sql, params));
  }

  /** All of `fn` commits or none of it does; readers see the old state until commit. */
  async transaction<T>(fn: (tx: ConnectionQueries) => Promise<T>): Promise<T> {
    const conn = await this.connect();
    const q = new ConnectionQueries(conn);
    try {
      await conn.run('begin transaction');
      const result = await fn(q);
      await conn.run('commit');
      return result;
    } catch (e) {
      await conn.run('rollback').catch(() => undefined);
      throw e;
    } finally {
      this.release(conn);
    }
  }

  /** Applies pending migrations in order, each in its own transaction. Returns what it did instead of throwing. */
  async migrate(): Promise<{ applied: string[]; error?: { migration: string; message: string } }> {
    await this.run('create table if not exists schema_migrations (id varchar not null, applied_at timestamptz not null)');
    const done = new Set((await this.all<{ id: string }>('select id from schema_migrations')).map((r) => r.id));
    const files = readdirSync(migrationsDir).filter((f) => f.endsWith('.sql')).sort();
    const applied: string[] = [];
    for (const file of files) {
      const id = file.replace(/\.sql$/, '');
      if (done.has(id)) continue;
      try {
        await this.transaction(async (tx) => {
          await runScript(tx.conn, readFileSync(join(migrationsDir, file), 'utf8'));
          await tx.run('insert into schema_migrations values ($id, now())', { id });
        });
        applied.push(id);
      } catch (e) {
        return { applied, error: { migration: id, message: e instanceof Error ? e.message : String(e) } };
      }
    }
    return { applied };
  }

  /** Bumped by each committed load; caches key on it. */
  async dataVersion(): Promise<number> {
    const [row] = await this.all<{ value: string }>("select value from warehouse_meta where key = 'data_version'");
    return Number(row?.value ?? 0);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.db.destroy();
    for (const c of this.idle) c.closeSync();
    this.idle = [];
    this.instance.closeSync();
  }
}

/** Runs a multi-statement SQL script statement by statement. */
export async function runScript(conn: DuckDBConnection, sql: string): Promise<void> {
  const extracted = await conn.extractStatements(sql);
  for (let i = 0; i < extracted.count; i++) {
    const stmt = await extracted.prepare(i);
    await stmt.run();
  }
}

