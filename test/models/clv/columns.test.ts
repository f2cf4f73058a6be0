import { describe, expect, it } from 'vitest';
import { appendRows, readNumericColumns } from '../../../src/models/clv/columns.ts';
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
});
