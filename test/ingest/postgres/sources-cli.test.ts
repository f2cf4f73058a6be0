import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../../src/cli/main.ts';
import { runAll } from '../../../src/ingest/index.ts';
import { Warehouse } from '../../../src/warehouse/index.ts';
import { tempDir } from '../../helpers.ts';
import { freePort } from './pg-server.ts';
import { opcrmSchema, opcrmSeed, root, usePostgres } from './setup.ts';

/** `crm sources test NAME`: connectivity, mapping and a sample through the contract, without loading. */
const pgdb = usePostgres();

beforeAll(async () => {
  await pgdb.sql(opcrmSchema);
  await pgdb.sql(opcrmSeed);
});

/** Runs the CLI in-process; returns its exit code and what it printed. */
async function crm(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  try {
    const code = await main(['node', 'crm', ...args]);
    return { code, out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

const tmp = tempDir();
afterEach(() => {
  delete process.env.CRM_DB;
});

/** A variant of an example pipeline written to a temp file. */
function variant(example: string, change: (p: Record<string, unknown>) => void): string {
  const p = JSON.parse(readFileSync(join(root, 'pipelines', 'examples', `${example}.json`), 'utf8'));
  change(p);
  const file = join(tmp.dir, `${example}-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(p));
  return file;
}

describe('crm sources test', () => {
  it('checks an example pipeline by name: connection, relation, mapping with types, labels, incremental, deletes, sample', async () => {
    process.env.CRM_DB = join(tmp.dir, 'none.duckdb');
    const r = await crm('sources', 'test', 'postgres-orders', '--format', 'json');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out);
    const port = pgdb.get().port;
    expect(report.file).toBe(join('pipelines', 'examples', 'postgres-orders.json'));
    expect(report.ok).toBe(true);
    expect(report.note).toBe(`no warehouse at ${process.env.CRM_DB} yet`);
    // nothing was created or loaded
    expect(existsSync(process.env.CRM_DB!)).toBe(false);
    const checks = report.checks.map((c: { check: string; status: string; detail: string }) => ({ ...c, detail: c.detail.replace(/\d+ ms$/, 'N ms') }));
    expect(checks).toEqual([
      { check: 'connect', status: 'ok', detail: expect.stringMatching(new RegExp(`^crm@127\\.0\\.0\\.1:${port}/postgres, PostgreSQL 15\\.\\d+.*, N ms$`)) },
      {
        check: 'relation',
        status: 'ok',
        detail:
          'orders, 11 columns: id bigint, orderNumber text, contactId bigint, placedAt timestamp with time zone, status order_state, total numeric(12,2), discount numeric(12,2), currency character(3), itemCount integer, channel text, updatedAt timestamp with time zone',
      },
      { check: 'incremental.column', status: 'ok', detail: 'updatedAt (timestamp with time zone)' },
      { check: 'incremental', status: 'ok', detail: 'first run reads everything; later runs read rows with updatedAt > watermark − 30 min overlap (column updatedAt)' },
      { check: 'index', status: 'ok', detail: 'an index on orders starts with updatedAt' },
      { check: 'deletes', status: 'ok', detail: 'each incremental run also reads every key of the source (same snapshot) and deletes rows no longer there' },
      { check: 'labels of status', status: 'ok', detail: 'every label of order_state maps to a valid status' },
      { check: 'sample', status: 'ok', detail: '6 rows read, 6 pass the contract (references to other entities not checked: no warehouse)' },
    ]);
    expect(report.mapping).toEqual([
      { field: 'order_id', kind: 'text', from: 'orderNumber', source_type: 'text', staged_as: 'text', status: 'ok', note: '' },
      { field: 'customer_id', kind: 'text', from: 'contactId', source_type: 'bigint', staged_as: 'integer', status: 'ok', note: '' },
      { field: 'ordered_at', kind: 'timestamp', from: 'placedAt', source_type: 'timestamp with time zone', staged_as: 'ISO 8601 in UTC with offset', status: 'ok', note: '' },
      { field: 'status', kind: 'enum', from: 'status', source_type: 'order_state', staged_as: 'enum label', status: 'ok', note: '' },
      { field: 'channel', kind: 'text', from: 'channel', source_type: 'text', staged_as: 'text', status: 'ok', note: '' },
      { field: 'currency', kind: 'text', from: 'currency', source_type: 'character(3)', staged_as: 'text', status: 'ok', note: '' },
      { field: 'total_amount', kind: 'decimal', from: 'total', source_type: 'numeric(12,2)', staged_as: 'decimal', status: 'ok', note: 'kept to 2 decimal places' },
      { field: 'discount_amount', kind: 'decimal', from: 'discount', source_type: 'numeric(12,2)', staged_as: 'decimal', status: 'ok', note: 'kept to 2 decimal places' },
      { field: 'item_count', kind: 'integer', from: 'itemCount', source_type: 'integer', staged_as: 'integer', status: 'ok', note: '' },
    ]);
  });

  it('prints a readable report and, with a warehouse, checks references and shows the next incremental predicate', async () => {
    const dbFile = join(tmp.dir, 'crm.duckdb');
    const wh = await Warehouse.open(dbFile);
    try {
      // Customers 1–5 loaded, then contact 1's orders are checked against them; order of contact 9 is not.
      await pgdb.sql(`insert into orders values (8, 'SO-1008', 9, '2024-04-07 10:00:00+00', 'paid', 5.00, 0, 'USD', 1, 'web', '2024-04-07 10:00:00+00')`);
      const results = await runAll(wh, ['companies', 'contacts'].map((n) => join(root, 'pipelines', 'examples', `postgres-${n}.json`)));
      expect(results.map((x) => x.status)).toEqual(['succeeded', 'succeeded']);
      await wh.run("insert into pipeline_state values ('postgres-orders', '2024-04-06 12:00:00+00', now())");
    } finally {
      await wh.close();
    }
    process.env.CRM_DB = dbFile;
    try {
      const r = await crm('sources', 'test', join('pipelines', 'examples', 'postgres-orders.json'));
      expect(r.code).toBe(0);
      expect(r.out).toContain(`pipeline postgres-orders (${join('pipelines', 'examples', 'postgres-orders.json')}) → orders, source postgres:orders`);
      expect(r.out).toMatch(/incremental\s+ok\s+next run reads rows with updatedAt > 2024-04-06 11:30:00\+00 \(watermark 2024-04-06 12:00:00\+00 − 30 min overlap\)/);
      expect(r.out).toMatch(/sample\s+warn\s+7 rows read, 6 pass the contract, 1 would be quarantined\n/);
      expect(r.out).toContain("sample:\n  postgres:orders:7:customer_id: unknown customer '9' in system opcrm\n");
      expect(r.out).toMatch(/field\s+kind\s+from\s+source_type\s+staged_as\s+status\s+note/);
      expect(r.out).toContain('ok: the source can be loaded (nothing was loaded)');
      const wh2 = await Warehouse.open(dbFile);
      try {
        expect(await wh2.all("select count(*) as n from orders")).toEqual([{ n: 0 }]);
        expect(await wh2.all("select count(*) as n from pipeline_runs where pipeline = 'postgres-orders'")).toEqual([{ n: 0 }]);
      } finally {
        await wh2.close();
      }
    } finally {
      await pgdb.sql("delete from orders where id = 8");
    }
  });

  it('finds labels an enum mapping misses, types that cannot fit and columns that are gone', async () => {
    process.env.CRM_DB = join(tmp.dir, 'none.duckdb');
    const labels = variant('postgres-orders', (p) => {
      (p.mapping as Record<string, unknown>).status = { from: 'status', map: { paid: 'completed', refunded: 'returned' } };
    });
    const r = await crm('sources', 'test', labels, '--format', 'json');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out);
    expect(report.checks.find((c: { check: string }) => c.check === 'labels of status')).toEqual({
      check: 'labels of status',
      status: 'warn',
      detail: "rows with 'voided' would be quarantined: not one of completed, pending, cancelled, returned (add them to the mapping's \"map\")",
    });
    // SO-1004 is voided
    expect(report.checks.find((c: { check: string }) => c.check === 'sample')).toEqual({
      check: 'sample',
      status: 'warn',
      detail: '6 rows read, 5 pass the contract, 1 would be quarantined (references to other entities not checked: no warehouse)',
      examples: ["postgres:orders:4:status: 'voided' is not one of completed, pending, cancelled, returned"],
    });

    const types = variant('postgres-contacts', (p) => {
      Object.assign(p.mapping as Record<string, unknown>, { acquired_at: 'tags', email_opt_in: 'id', job_title: 'tags', lifecycle_stage: 'nickname' });
    });
    const t = await crm('sources', 'test', types, '--format', 'json');
    expect(t.code).toBe(1);
    const tr = JSON.parse(t.out);
    expect(tr.ok).toBe(false);
    const line = (f: string) => tr.mapping.find((m: { field: string }) => m.field === f);
    expect(line('acquired_at')).toMatchObject({ from: 'tags', source_type: 'text[]', staged_as: 'JSON array', status: 'fail', note: 'a text[] column cannot be read as timestamp' });
    expect(line('email_opt_in')).toMatchObject({ status: 'warn', note: 'only 0 and 1 are read as booleans' });
    expect(line('job_title')).toMatchObject({ status: 'ok', note: 'loaded as JSON text' });
    expect(line('lifecycle_stage')).toMatchObject({ from: 'nickname', status: 'fail', note: 'no such column in the source' });
    // no sample is run when the mapping cannot work
    expect(tr.checks.map((c: { check: string }) => c.check)).not.toContain('sample');
  });

  it('reports an unreachable source as a failed check and exits 1; an unknown name exits 2', async () => {
    process.env.CRM_DB = join(tmp.dir, 'none.duckdb');
    const port = await freePort();
    const down = variant('postgres-companies', (p) => {
      (p.source as Record<string, unknown>).connectionEnv = 'CRM_PG_DOWN';
    });
    process.env.CRM_PG_DOWN = `postgres://crm:hidden-pw@127.0.0.1:${port}/postgres`;
    const r = await crm('sources', 'test', down);
    expect(r.code).toBe(1);
    expect(r.out).toContain(`connect  fail    postgres:companies: cannot connect to PostgreSQL at crm@127.0.0.1:${port}/postgres: connection refused (3 attempts)`);
    expect(r.out).toContain('FAILED: fix the problems above before loading (nothing was loaded)');
    expect(r.out).not.toContain('hidden-pw');

    const unknown = await crm('sources', 'test', 'no-such-pipeline');
    expect(unknown.code).toBe(2);
    expect(unknown.err).toBe('error: no pipeline file no-such-pipeline and no pipeline named "no-such-pipeline" under pipelines/ (give a file path)\n');
  });

  it('checks a file source too', async () => {
    process.env.CRM_DB = join(tmp.dir, 'none.duckdb');
    const csv = join(tmp.dir, 'products.csv');
    writeFileSync(csv, 'sku,title,price\nA,Apple,1.00\nB,Banana,x\n');
    const file = join(tmp.dir, 'csv-products.json');
    writeFileSync(file, JSON.stringify({ source: { type: 'csv', path: csv }, entity: 'products', mapping: { product_id: 'sku', name: 'title', list_price: 'price' } }));
    const r = await crm('sources', 'test', file, '--format', 'json');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out);
    expect(report.checks).toEqual([
      { check: 'files', status: 'ok', detail: csv },
      { check: 'columns', status: 'ok', detail: 'sku, title, price' },
      {
        check: 'sample',
        status: 'warn',
        detail: '2 rows read, 1 pass the contract, 1 would be quarantined (references to other entities not checked: no warehouse)',
        examples: [`${csv}:3:list_price: cannot read 'x' as decimal`],
      },
    ]);
  });
});
