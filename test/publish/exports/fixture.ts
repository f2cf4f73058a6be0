import { join } from 'node:path';
import type { Warehouse } from '../../../src/warehouse/index.ts';
import { createSegment, savePlan } from '../../../src/models/segments/index.ts';
import { createExport, type ExportOptions } from '../../../src/publish/exports/index.ts';
import { withWarehouse } from '../../helpers.ts';
import { AS_OF, everyone, seedFixture } from '../../models/segments/fixture.ts';

/** The segments fixture (test/models/segments/fixture.ts) with the segment `everyone` saved. */
export const withFixture = (fn: (wh: Warehouse, dir: string) => Promise<void>) => () =>
  withWarehouse(async (wh, dir) => {
    await seedFixture(wh);
    await createSegment(wh, everyone);
    await fn(wh, dir);
  });

/** An e-mail export of `everyone` as of the fixture's day, into the test's directory. */
export const exportIn = (wh: Warehouse, dir: string, o: Partial<ExportOptions> & { out: string }) =>
  createExport(wh, { segment: 'everyone', channel: 'email', asOf: AS_OF, requestedBy: 'test', ...o, out: join(dir, o.out) });

/** Plan `p`: segment `nine` (customer 9, the same address as customer 1) before `everyone`. */
export async function savePlanNineFirst(wh: Warehouse): Promise<void> {
  await createSegment(wh, { name: 'nine', rule: { field: 'customer_id', op: 'eq', value: 9 } });
  await savePlan(wh, { name: 'p', segments: ['nine', 'everyone'] });
}
