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
