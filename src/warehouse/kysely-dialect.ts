import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import {
  type CompiledQuery,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type Kysely,
  type QueryCompiler,
  type QueryResult,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
} from 'kysely';
import { plainConverter, toParam } from './values.ts';

/**
 * Kysely over @duckdb/node-api. Postgres' compiler writes `$1` placeholders, which DuckDB
 * binds positionally; DuckDB has no advisory locks, so the migration lock is a no-op
 * (one writer per warehouse is enforced elsewhere).
 */
export class DuckDBDialect implements Dialect {
  constructor(private readonly instance: DuckDBInstance) {}
  createAdapter(): DialectAdapter {
    return new DuckDBAdapter();
  }
  createDriver(): Driver {
    return new DuckDBDriver(this.instance);
  }
  createQueryCompiler(): QueryCompiler {
    return new PostgresQueryCompiler();
  }
  createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return new PostgresIntrospector(db);
  }
}

class DuckDBAdapter extends PostgresAdapter {
  override async acquireMigrationLock(): Promise<void> {}
  override async releaseMigrationLock(): Promise<void> {}
}

class DuckDBDriver implements Driver {
  constructor(private readonly instance: DuckDBInstance) {}
  async init(): Promise<void> {}
  async acquireConnection(): Promise<DatabaseConnection> {
    const conn = await this.instance.connect();
    await conn.run("set TimeZone = 'UTC'");
    return new KyselyDuckDBConnection(conn);
  }
  async beginTransaction(c: DatabaseConnection): Promise<void> {
    await (c as KyselyDuckDBConnection).conn.run('begin transaction');
  }
  async commitTransaction(c: DatabaseConnection): Promise<void> {
    await (c as KyselyDuckDBConnection).conn.run('commit');
  }
  async rollbackTransaction(c: DatabaseConnection): Promise<void> {
    await (c as KyselyDuckDBConnection).conn.run('rollback');
  }
  async releaseConnection(c: DatabaseConnection): Promise<void> {
    (c as KyselyDuckDBConnection).conn.closeSync();
  }
  async destroy(): Promise<void> {}
}

class KyselyDuckDBConnection implements DatabaseConnection {
  constructor(readonly conn: DuckDBConnection) {}
  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const reader = await this.conn.runAndReadAll(query.sql, query.parameters.map(toParam));
    const rows = reader.convertRowObjects(plainConverter) as R[];
    const kind = query.query.kind;
    const writes = kind === 'InsertQueryNode' || kind === 'UpdateQueryNode' || kind === 'DeleteQueryNode';
    return writes && rows.length === 0 ? { rows, numAffectedRows: BigInt(reader.rowsChanged) } : { rows };
  }
  // eslint-disable-next-line require-yield
  async *streamQuery<R>(query: CompiledQuery, chunkSize = 2048): AsyncIterableIterator<QueryResult<R>> {
    const result = await this.conn.stream(query.sql, query.parameters.map(toParam));
    const names = result.columnNames();
    let batch: R[] = [];
    for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
      for (const row of chunk.convertRows(plainConverter)) {
        batch.push(Object.fromEntries(names.map((n, i) => [n, row[i]])) as R);
        if (batch.length >= chunkSize) {
          yield { rows: batch };
          batch = [];
        }
      }
    }
    if (batch.length) yield { rows: batch };
  }
}
