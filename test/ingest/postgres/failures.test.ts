import { beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { pipelineSchema, runPipeline, type Pipeline, type RunResult } from '../../../src/ingest/index.ts';
import type { Warehouse } from '../../../src/warehouse/index.ts';
import { withWarehouse } from '../../helpers.ts';
import { freePort } from './pg-server.ts';
import { usePostgres } from './setup.ts';

/**
 * Connection refused, wrong password, unknown database, a table or column that disappeared, a
 * statement timeout, a dropped connection, an error in the middle of the extract: each gives one
 * clear error naming the source (never the password), is retried only when trying again can help,
 * is recorded as a failed run, and leaves the warehouse as it was.
 */
const pgdb = usePostgres();

const pipeline = (p: Record<string, unknown>): Pipeline => pipelineSchema.parse(p);
const productsFrom = (source: Record<string, unknown>) =>
  pipeline({ name: 'pg-products', source: { type: 'postgres', ...source }, entity: 'products', mapping: { product_id: 'sku', name: 'title', list_price: 'price' } });

/** A URL like the server's with one part replaced. */
function url(change: { password?: string; port?: number; database?: string; user?: string; query?: string }): string {
  const s = pgdb.get();
  return `postgres://${change.user ?? s.user}:${change.password ?? s.password}@${s.host}:${change.port ?? s.port}/${change.database ?? s.database}${change.query ?? ''}`;
}

async function state(wh: Warehouse) {
  const [r] = await wh.all<Record<string, unknown>>(
    "select (select count(*) from products) as products, (select sum(list_price) from products) as total, (select value from warehouse_meta where key = 'data_version') as version, (select count(*) from pipeline_state) as watermarks",
  );
  return r;
}

/** Runs a pipeline that must fail; checks the run log, the secret and that nothing changed. */
async function expectFailure(wh: Warehouse, p: Pipeline): Promise<RunResult> {
  const before = await state(wh);
  const r = await runPipeline(wh, p);
  expect(r.status).toBe('failed');
  expect(r.error).toBeTruthy();
  expect(r.error).not.toContain(pgdb.get().password);
  expect(r.error).not.toContain(`:${pgdb.get().password}@`);
  expect({ rowsInserted: r.rowsInserted, rowsUpdated: r.rowsUpdated, rowsDeleted: r.rowsDeleted }).toEqual({ rowsInserted: 0, rowsUpdated: 0, rowsDeleted: 0 });
  expect(await state(wh)).toEqual(before);
  const [run] = await wh.all('select status, error, source from pipeline_runs where run_id = $r', { r: r.runId });
  expect(run).toEqual({ status: 'failed', error: r.error, source: p.source.type === 'postgres' ? `postgres:${p.source.table ?? 'query'}` : null });
  return r;
}

beforeAll(async () => {
  await pgdb.sql(`
    create table products_src (sku text primary key, title text, price numeric(10, 2));
    insert into products_src values ('A', 'Apple', 1.00), ('B', 'Banana', 2.00), ('C', 'Cherry', 3.50);
    create role reader login password 'reader-pw';
  `);
});

describe('postgres source failures', () => {
  it('loads normally first (the baseline the failures must leave untouched)', async () => {
    await withWarehouse(async (wh) => {
      expect(await runPipeline(wh, productsFrom({ table: 'products_src' }))).toMatchObject({ status: 'succeeded', rowsInserted: 3 });
      expect(await state(wh)).toEqual({ products: 3, total: 6.5, version: '1', watermarks: 0 });
    });
  });

  it('connection refused: retried, then a clear error naming the source and endpoint', async () => {
    const port = await freePort();
    process.env.CRM_PG_DOWN = url({ port, password: 's3cr3t-down' });
    await withWarehouse(async (wh) => {
      await runPipeline(wh, productsFrom({ table: 'products_src' }));
      const t = Date.now();
      const r = await expectFailure(wh, productsFrom({ table: 'products_src', connectionEnv: 'CRM_PG_DOWN' }));
      expect(r.error).toBe(
        `postgres:products_src: cannot connect to PostgreSQL at crm@127.0.0.1:${port}/postgres: connection refused (3 attempts); is the server running and is CRM_PG_DOWN right?`,
      );
      expect(r.error).not.toContain('s3cr3t-down');
      // two back-offs: 0.5 s and 1 s
      expect(Date.now() - t).toBeGreaterThanOrEqual(1400);
    });
  });

  it('authentication failure: not retried, names the user and the variable, never the password', async () => {
    process.env.CRM_PG_BADPW = url({ password: 'wr0ng-passw0rd' });
    await withWarehouse(async (wh) => {
      await runPipeline(wh, productsFrom({ table: 'products_src' }));
      const t = Date.now();
      const r = await expectFailure(wh, productsFrom({ table: 'products_src', connectionEnv: 'CRM_PG_BADPW' }));
      expect(r.error).toBe(`postgres:products_src: authentication failed for user "crm" at crm@127.0.0.1:${pgdb.get().port}/postgres; check the password in CRM_PG_BADPW`);
      expect(r.error).not.toContain('wr0ng-passw0rd');
      expect(Date.now() - t).toBeLessThan(1400);
    });
  });

  it('unknown database, unset variable, missing privilege', async () => {
    process.env.CRM_PG_NODB = url({ database: 'nope' });
    process.env.CRM_PG_READER = url({ user: 'reader', password: 'reader-pw' });
    delete process.env.CRM_PG_UNSET;
    await withWarehouse(async (wh) => {
      await runPipeline(wh, productsFrom({ table: 'products_src' }));
      const port = pgdb.get().port;
      expect((await expectFailure(wh, productsFrom({ table: 'products_src', connectionEnv: 'CRM_PG_NODB' }))).error).toBe(
        `postgres:products_src: database "nope" does not exist at crm@127.0.0.1:${port}/nope; check the database name in CRM_PG_NODB`,
      );
      expect((await expectFailure(wh, productsFrom({ table: 'products_src', connectionEnv: 'CRM_PG_UNSET' }))).error).toBe(
        'postgres:products_src: environment variable CRM_PG_UNSET is not set; it must hold the connection string (postgres://user:password@host:5432/database)',
      );
      const denied = await expectFailure(wh, productsFrom({ table: 'products_src', connectionEnv: 'CRM_PG_READER' }));
      expect(denied.error).toBe(`postgres:products_src: permission denied for table products_src at reader@127.0.0.1:${port}/postgres; grant SELECT on the source to user "reader"`);
      expect(denied.error).not.toContain('reader-pw');
    });
  });

  it('a table that disappeared', async () => {
    await withWarehouse(async (wh) => {
      await runPipeline(wh, productsFrom({ table: 'products_src' }));
      await pgdb.sql('alter table products_src rename to products_old');
      try {
        const r = await expectFailure(wh, productsFrom({ table: 'products_src' }));
        expect(r.error).toBe(
          `postgres:products_src: table "products_src" does not exist in database "postgres" at 127.0.0.1:${pgdb.get().port}; was it dropped or renamed? (source.table in the pipeline)`,
        );
      } finally {
        await pgdb.sql('alter table products_old rename to products_src');
      }
    });
  });

  it('a column that disappeared: named with the mapping key before any row moves; in a query, PostgreSQL\'s message', async () => {
    await withWarehouse(async (wh) => {
      await runPipeline(wh, productsFrom({ table: 'products_src' }));
      await pgdb.sql('alter table products_src rename column title to product_title');
      try {
        const r = await expectFailure(wh, productsFrom({ table: 'products_src' }));
        expect(r.error).toBe('postgres:products_src:mapping.name: source column "title" does not exist in products_src (dropped or renamed?); it has: sku, product_title, price');
        const q = await expectFailure(wh, productsFrom({ query: 'select sku, title, price from products_src' }));
        expect(q.error).toBe(
          `postgres:query: column "title" does not exist at crm@127.0.0.1:${pgdb.get().port}/postgres; was the column dropped or renamed? (check the pipeline's source.query and mapping)`,
        );
      } finally {
        await pgdb.sql('alter table products_src rename column product_title to title');
      }
    });
  });

  it('a statement timeout: not retried, says what to raise', async () => {
    process.env.CRM_PG_SLOW = url({ query: '?statement_timeout=300' });
    await withWarehouse(async (wh) => {
      await runPipeline(wh, productsFrom({ table: 'products_src' }));
      const t = Date.now();
      const r = await expectFailure(
        wh,
        productsFrom({ connectionEnv: 'CRM_PG_SLOW', query: 'select sku, title, price from products_src, lateral (select pg_sleep(0.4)) s' }),
      );
      expect(r.error).toBe(
        `postgres:query: the extract was cancelled at crm@127.0.0.1:${pgdb.get().port}/postgres (canceling statement due to statement timeout); raise statement_timeout for this user (e.g. ?statement_timeout=3600000 in CRM_PG_SLOW, or ALTER ROLE … SET statement_timeout) or narrow the source`,
      );
      expect(Date.now() - t).toBeLessThan(1400);
    });
  });

  it('an error in the middle of the extract is not retried and loads nothing', async () => {
    await withWarehouse(async (wh) => {
      await runPipeline(wh, productsFrom({ table: 'products_src' }));
      const r = await expectFailure(wh, productsFrom({ query: "select sku, title, (100 / (price - 2))::numeric(10, 2) as price from products_src order by sku" }));
      expect(r.error).toBe(`postgres:query: PostgreSQL at crm@127.0.0.1:${pgdb.get().port}/postgres: division by zero`);
    });
  });

  it('a connection dropped during the extract is retried and the load completes', async () => {
    await withWarehouse(async (wh) => {
      // Each row takes 0.2 s, so the COPY is still running when the watchdog terminates it.
      const p = productsFrom({ query: 'select sku, title, price from products_src, lateral (select pg_sleep(0.2)) s order by sku' });
      const killer = new pg.Client({ connectionString: pgdb.get().url });
      await killer.connect();
      let killed = 0;
      const watch = (async () => {
        for (let i = 0; i < 200 && !killed; i++) {
          const { rows } = await killer.query(
            "select count(*) filter (where pg_terminate_backend(pid))::int as n from pg_stat_activity where application_name = 'crm-analytics' and query ilike 'copy%' and state = 'active'",
          );
          killed += rows[0].n;
          await new Promise((res) => setTimeout(res, 25));
        }
      })();
      try {
        const r = await runPipeline(wh, p);
        await watch;
        expect(killed).toBe(1);
        expect(r).toMatchObject({ status: 'succeeded', rowsRead: 3, rowsInserted: 3 });
        expect(await wh.all('select product_id, name, list_price from products order by 1')).toEqual([
          { product_id: 'A', name: 'Apple', list_price: 1 },
          { product_id: 'B', name: 'Banana', list_price: 2 },
          { product_id: 'C', name: 'Cherry', list_price: 3.5 },
        ]);
      } finally {
        await killer.end();
      }
    });
  });
});
