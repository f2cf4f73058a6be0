import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Warehouse } from '../../src/warehouse/index.ts';
import { tempDir } from '../helpers.ts';
import { fingerprint, prepare, referenceStages, restoreBase, sameState, trial, type Dataset, type Fingerprint } from './crash/harness.ts';

// A child process loading day 2 is SIGKILLed at named points (it kills itself on reaching them) and at
// delays after the job started; each time the warehouse must hold the state after exactly the loads that
// committed, pipeline_runs must agree once recovered, and the next run must complete day 2.
describe('crash safety: SIGKILL during a load', () => {
  const tmp = tempDir();
  let ds: Dataset;
  let stages: Fingerprint[];
  const db = () => join(tmp.dir, 'trial.duckdb');

  beforeAll(async () => {
    ds = await prepare(join(tmp.dir, 'ds'), 300);
    stages = await referenceStages(ds);
  }, 120_000);
  afterAll(() => tmp.cleanup());

  it('has reference stages that differ, and a checker that notices a single changed value', async () => {
    expect(stages).toHaveLength(5);
    for (let k = 1; k < stages.length; k++) expect(sameState(stages[k - 1], stages[k]), `stage ${k}`).toBe(false);
    expect(stages[0].tables.orders.rows).toBeLessThan(stages[4].tables.orders.rows);
    restoreBase(ds, db());
    const wh = await Warehouse.open(db());
    try {
      expect(sameState(await fingerprint(wh), stages[0])).toBe(true);
      await wh.run("update orders set total_amount = total_amount + 0.01 where order_id = (select min(order_id) from orders)");
      const fp = await fingerprint(wh);
      expect(fp.tables.orders.rows).toBe(stages[0].tables.orders.rows);
      expect(stages.findIndex((s) => sameState(s, fp))).toBe(-1);
    } finally {
      await wh.close();
    }
  });

  // Expected stage = day-2 loads committed before the kill (products, customers, orders, order-lines).
  const named: [string, number][] = [
    ['job:start', 0],
    ['pipeline:products:merge', 0],
    ['pipeline:customers:test', 1],
    ['pipeline:customers:done', 2],
    ['pipeline:orders:validate', 2],
    ['pipeline:orders:test', 2],
    ['pipeline:order-lines:read', 3],
    ['step:done', 4],
    ['job:done', 4],
  ];
  it.each(named)('killed at %s: the warehouse holds stage %i, the run log agrees, the next run completes day 2', async (point, stage) => {
    const r = await trial(ds, stages, db(), point);
    expect(r.killed).toBe(true);
    expect(r.problems).toEqual([]);
    expect(r.stage).toBe(stage);
    expect(r.rowsLost).toBe(0);
    expect(r.completed).toBe(true);
  }, 60_000);

  it.each([120, 350, 700])('killed %ims after the job started: consistent, nothing lost', async (ms) => {
    const r = await trial(ds, stages, db(), ms);
    expect(r.problems).toEqual([]);
    expect(r.consistent).toBe(true);
    expect(r.rowsLost).toBe(0);
    expect(r.completed).toBe(true);
  }, 60_000);
});
