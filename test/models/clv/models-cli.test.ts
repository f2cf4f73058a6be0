import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Warehouse } from '../../../src/warehouse/index.ts';
import { crm } from '../../cli/run-crm.ts';
import { tempDir } from '../../helpers.ts';
import { loadCdnowOrders } from './fixtures.ts';

describe('crm models / crm clv (in-process)', () => {
  it('runs the models in order, reports failures with exit 1, and lists runs', async () => {
    const tmp = tempDir();
    const db = join(tmp.dir, 'crm.duckdb');
    const wh = await Warehouse.open(db);
    await loadCdnowOrders(wh);
    await wh.close();

    const list = await crm(db, 'models', 'list');
    expect(list.code).toBe(0);
    expect(list.out).toMatch(/clv\s/);
    expect(list.out).toMatch(/churn\s/);
    expect(list.out).toMatch(/retention\s/);

    const run = await crm(db, 'models', 'run', 'clv', 'churn', 'retention');
    expect(run.code).toBe(1); // churn: no subscriptions
    expect(run.out).toMatch(/clv\s+succeeded/);
    expect(run.out).toMatch(/retention\s+succeeded/);
    expect(run.out).toMatch(/churn\s+failed/);
    expect(run.err).toMatch(/✗ churn: there are no subscriptions/);

    const unknown = await crm(db, 'models', 'run', 'nope');
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/unknown model "nope"; known: .*clv/);

    const runs = await crm(db, 'models', 'runs', '--model', 'clv', '--format', 'json');
    const rows = JSON.parse(runs.out);
    expect(rows[0]).toMatchObject({ model: 'clv', status: 'succeeded', as_of_date: '1998-06-30', converged: true });

    const bad = await crm(db, 'clv', 'fit', '--unit', 'month');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/unit/);

    const fit = await crm(db, 'clv', 'fit', '--calibration-end', '1997-09-30', '--holdout-end', '1998-06-30');
    expect(fit.code).toBe(0);
    expect(fit.out).toMatch(/r\s+0\.242593/);
    expect(fit.out).toMatch(/7\+\s+64\s+6\.3594\s+6\.1574/);
    expect(fit.out).toMatch(/Scores not written/);
    tmp.cleanup();
  });
});

describe('crm clv fit on data it cannot fit', () => {
  it('exits 1 and says what to try when BG/NBD does not converge; and exits 1 with the reason when the window has no purchase', async () => {
    const tmp = tempDir();
    const db = join(tmp.dir, 'crm.duckdb');
    const wh = await Warehouse.open(db);
    // 100 identical customers (purchases on day 0 and day 60): the likelihood is flat along a ridge.
    await wh.run(`insert into customers (customer_id) select range from range(1, 101)`);
    await wh.run(`insert into orders (order_id, customer_id, ordered_at, status, total_amount, item_count)
      select 'o' || c || '-' || d, c, timestamptz '2024-01-01 12:00:00+00' + to_days(cast(d as integer)), 'completed', 10, 1
      from range(1, 101) as a(c), (values (0), (60)) as b(d)`);
    await wh.close();

    const flat = await crm(db, 'clv', 'fit', '--calibration-end', '2024-03-01', '--json');
    expect(flat.code).toBe(1);
    expect(JSON.parse(flat.out)).toMatchObject({ status: 'not_converged', bgnbd: { converged: false }, saved: false });
    expect(flat.err).toMatch(/^error: BG\/NBD did not converge: .*what to try/);
    const text = await crm(db, 'clv', 'fit', '--calibration-end', '2024-03-01');
    expect(text.code).toBe(1);
    expect(text.out).toMatch(/NOT CONVERGED/);
    const runs = await crm(db, 'models', 'runs', '--model', 'clv', '--format', 'json');
    expect(JSON.parse(runs.out).map((r: { status: string }) => r.status)).toEqual(['not_converged', 'not_converged']);

    const early = await crm(db, 'clv', 'fit', '--calibration-end', '2023-06-30');
    expect(early.code).toBe(1);
    expect(early.err).toMatch(/first completed purchase is on 2024-01-01/);
    tmp.cleanup();
  });
});
