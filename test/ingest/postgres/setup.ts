/**
 * Per-file setup for the Postgres tests: one throw-away server per test file (started in
 * beforeAll, stopped in afterAll even when tests fail), its URL in CRM_PG_URL, and helpers.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { startPostgres, type PgServer } from './pg-server.ts';

const here = dirname(fileURLToPath(import.meta.url));
export const root = join(here, '..', '..', '..');
export const opcrmSchema = readFileSync(join(here, 'opcrm-schema.sql'), 'utf8');
export const opcrmSeed = readFileSync(join(here, 'opcrm-seed.sql'), 'utf8');

/** Starts a server for this test file; `get()` returns it inside tests. */
export function usePostgres(settings: Record<string, string> = {}): { get(): PgServer; sql(text: string, params?: unknown[]): Promise<pg.QueryResult> } {
  let server: PgServer | undefined;
  beforeAll(async () => {
    server = await startPostgres(settings);
    process.env.CRM_PG_URL = server.url;
  });
  afterAll(() => {
    server?.stop();
    delete process.env.CRM_PG_URL;
  });
  return {
    get: () => {
      if (!server) throw new Error('the test PostgreSQL server did not start');
      return server;
    },
    /** Runs SQL on a fresh connection (multi-statement text allowed without params). */
    async sql(text, params) {
      const client = new pg.Client({ connectionString: server!.url });
      await client.connect();
      try {
        return await client.query(text, params);
      } finally {
        await client.end();
      }
    },
  };
}
