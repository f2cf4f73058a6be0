import { describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { entityNames, fieldSpecs, Warehouse } from '../../src/warehouse/index.ts';
import { tempDir, withWarehouse } from '../helpers.ts';
import { join } from 'node:path';

const ddlType: Record<string, string[]> = {
  text: ['VARCHAR'],
  integer: ['INTEGER', 'BIGINT'],
  decimal: ['DECIMAL(18,2)'],
  boolean: ['BOOLEAN'],
  timestamp: ['TIMESTAMP WITH TIME ZONE'],
  date: ['DATE'],
};

describe('warehouse', () => {
  it('migrates a new file once and records it', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const path = join(dir, 'w.duckdb');
      const a = await Warehouse.open(path);
      const applied = await a.all<{ id: string }>('select id from schema_migrations order by id');
      expect(applied.map((r) => r.id)[0]).toBe('001_core');
      await a.close();
      const b = await Warehouse.open(path);
      expect((await b.migrate()).applied).toEqual([]);
      await b.close();
    } finally {
      cleanup();
    }
  });

  it('keeps every entity zod schema in step with its DDL', async () => {
    await withWarehouse(async (wh) => {
      for (const entity of entityNames) {
        const cols = await wh.all<{ column_name: string; data_type: string }>(
          'select column_name, data_type from information_schema.columns where table_name = $t',
          { t: entity },
        );
        const byName = new Map(cols.map((c) => [c.column_name, c.data_type]));
        for (const f of fieldSpecs(entity)) {
          const type = byName.get(f.name);
          expect(type, `${entity}.${f.name} missing from DDL`).toBeDefined();
          const expected = f.identity ? ['BIGINT'] : ddlType[f.kind];
          expect(expected, `${entity}.${f.name}: DDL ${type} vs zod ${f.kind}`).toContain(type);
        }
      }
    });
  });

  it('binds named parameters, converts values, and runs Kysely queries', async () => {
    await withWarehouse(async (wh) => {
      await wh.run(
        `insert into products (product_id, name, list_price, is_active) values ($id, $name, $price, true)`,
        { id: 'P1', name: "O'Brien; drop table products", price: 12.5 },
      );
      const rows = await wh.db.selectFrom('products').select(['product_id', 'name', 'list_price']).where('product_id', '=', 'P1').execute();
      expect(rows).toEqual([{ product_id: 'P1', name: "O'Brien; drop table products", list_price: 12.5 }]);
      const [r] = await wh.all<{ n: number; d: string; t: string }>(
        "select count(*) as n, date '2024-02-29' as d, timestamptz '2024-01-01 10:00:00+02' as t from products",
      );
      expect(r).toEqual({ n: 1, d: '2024-02-29', t: '2024-01-01T08:00:00.000Z' });
      const { rows: k } = await sql<{ x: number }>`select ${41} + 1 as x`.execute(wh.db);
      expect(k[0].x).toBe(42);
    });
  });

  it('rolls a failed transaction back completely', async () => {
    await withWarehouse(async (wh) => {
      await expect(
        wh.transaction(async (tx) => {
          await tx.run("insert into products (product_id) values ('P1')");
          await tx.run('select * from no_such_table');
        }),
      ).rejects.toThrow(/no_such_table/);
      expect(await wh.all('select * from products')).toEqual([]);
    });
  });
});
