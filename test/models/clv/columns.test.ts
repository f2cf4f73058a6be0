import { describe, expect, it } from 'vitest';
import { appendRows, countSortedRows, readNumericColumns } from '../../../src/models/clv/columns.ts';
import { withWarehouse } from '../../helpers.ts';

describe('numeric columns in and out of DuckDB', () => {
  it('reads DOUBLE columns over several chunks, NULL as NaN, other numeric types converted', async () => {
    await withWarehouse(async (wh) => {
      await wh.withConnection(async (q) => {
        const r = await readNumericColumns<'x' | 'y' | 'n' | 'i'>(
          q.conn,
          'select cast(range as double) as x, range * 0.5 as y, case when range % 1000 = 7 then null else 1.5 end as n, cast(range as bigint) as i from range(5000) order by range',
        );
        expect(r.x.length).toBe(5000);
        expect(r.x[4999]).toBe(4999);
        expect(r.y[3001]).toBe(1500.5);
        expect(r.n[7]).toBeNaN();
        expect(r.n[8]).toBe(1.5);
        expect(r.i[4096]).toBe(4096);
        const empty = await readNumericColumns<'x'>(q.conn, 'select 1.0 as x where false');
        expect(empty.x.length).toBe(0);
      });
    });
  });

  it('appends typed rows, NaN and null as NULL, inside the open transaction', async () => {
    await withWarehouse(async (wh) => {
      await wh.run('create table t (d double, i integer, s varchar, b boolean, day date)');
      await wh.withConnection(async (q) => {
        await q.run('begin transaction');
        await appendRows(q.conn, 't', [
          { type: 'double', values: [1, 0.5, NaN] },
          { type: 'integer', values: [1, 2, null] },
          { type: 'varchar', values: ['a', null, 'c'] },
          { type: 'boolean', values: [true, false, undefined] },
          { type: 'varchar', values: ['2024-01-31', null, '2024-02-29'] },
        ]);
        await q.run('rollback');
      });
      expect((await wh.all<{ n: number }>('select count(*) as n from t'))[0].n).toBe(0);
      await wh.withConnection((q) => appendRows(q.conn, 't', [
        { type: 'double', values: [1, 0.5, NaN] },
        { type: 'integer', values: [1, 2, null] },
        { type: 'varchar', values: ['a', null, 'c'] },
        { type: 'boolean', values: [true, false, undefined] },
        { type: 'varchar', values: ['2024-01-31', null, '2024-02-29'] },
      ]));
      expect(await wh.all('select * from t order by i nulls last')).toEqual([
        { d: 1, i: 1, s: 'a', b: true, day: '2024-01-31' },
        { d: 0.5, i: 2, s: null, b: false, day: null },
        { d: null, i: null, s: 'c', b: null, day: '2024-02-29' },
      ]);
    });
  });
  it('counts sorted rows exactly like count(*) … group by all order by all, NULL with NULL', async () => {
    await withWarehouse(async (wh) => {
      await wh.run(`create table t as select (range * 7919) % 13 as x, cast(((range * 104729) % 5) as double) / 4 as y,
                      case when range % 17 = 0 then null else (range % 3) * 0.1 end as z from range(20000)`);
      await wh.withConnection(async (q) => {
        const grouped = await readNumericColumns<'x' | 'y' | 'z' | 'weight'>(
          q.conn,
          'select cast(x as double) as x, y, z, cast(count(*) as double) as weight from t group by all order by all',
        );
        const counted = countSortedRows(await readNumericColumns<'x' | 'y' | 'z'>(q.conn, 'select cast(x as double) as x, y, z from t order by all'));
        expect(counted.weight.length).toBe(grouped.weight.length);
        expect(grouped.weight.length).toBeGreaterThan(100);
        expect(Number.isNaN(grouped.z.at(-1))).toBe(true);
        for (const k of ['x', 'y', 'z', 'weight'] as const) expect(Array.from(counted[k])).toEqual(Array.from(grouped[k]));
        expect(counted.weight.reduce((a, b) => a + b, 0)).toBe(20000);
      });
    });
    expect(countSortedRows({ x: Float64Array.of(0, 0, 2), y: Float64Array.of(1, 1, 1) })).toEqual({ x: Float64Array.of(0, 2), y: Float64Array.of(1, 1), weight: Float64Array.of(2, 1) });
    expect(countSortedRows({ x: new Float64Array(0) }).weight.length).toBe(0);
  });
});
