import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runAll, runPipelineFile, type RunResult } from '../../../src/ingest/index.ts';
import type { Warehouse } from '../../../src/warehouse/index.ts';
import { withWarehouse } from '../../helpers.ts';
import { opcrmSchema, opcrmSeed, root, usePostgres } from './setup.ts';

/**
 * The example pipelines (pipelines/examples/postgres-*.json) against a real PostgreSQL 15 seeded
 * with a small operational CRM: a full load, then updates, inserts, deletes and a late commit in
 * PostgreSQL, and an incremental load that must bring exactly those changes. Every expected value
 * below was worked out by hand from the seed.
 */
const pgdb = usePostgres();


/** The changes made in PostgreSQL between the full and the incremental load. */
const changes = `
-- contacts: an update, an insert, a late commit inside the 30-minute overlap (its transaction
-- started at 11:45, before the previous extract's watermark of 12:00, and committed after it),
-- and one outside the overlap (an hour before the watermark), which the overlap cannot catch.
update contacts set email = 'bob.stone@globex.example', "updatedAt" = '2024-05-01 09:00:00+00' where id = 2;
insert into contacts (id, "firstName", "lastName", email, "marketingOptIn", "createdAt", "updatedAt")
  values (6, 'Fay', 'Wu', 'fay@example.com', true, '2024-05-01 10:00:00+00', '2024-05-01 10:00:00+00');
update contacts set phone = '555-9999', "updatedAt" = '2024-04-05 11:45:00+00' where id = 5;
update contacts set "lastName" = 'Parker', "updatedAt" = '2024-04-05 11:00:00+00' where id = 4;
-- orders: a status change, a new order of the new contact, a hard delete
update orders set status = 'paid', "updatedAt" = '2024-05-01 09:30:00+00' where id = 3;
insert into orders values (7, 'SO-1007', 6, '2024-05-01 10:30:00+00', 'paid', 75.25, 0, 'USD', 1, 'web', '2024-05-01 10:30:00+00');
delete from orders where id = 5;
-- deals: one won, one soft-deleted, one new
update deals set stage_id = 3, closed_at = '2024-05-01 08:00:00+00', updated_at = '2024-05-01 08:00:00+00' where id = 'aaaaaaaa-0000-0000-0000-000000000002';
update deals set is_deleted = true, updated_at = '2024-05-01 08:30:00+00' where id = 'aaaaaaaa-0000-0000-0000-000000000004';
insert into deals values ('aaaaaaaa-0000-0000-0000-000000000005', 'Fay starter', 6, null, 1, 500.00, 'USD', null, '2024-05-01 11:00:00+00', null, null, null, false, '2024-05-01 11:00:00+00');
-- stage history: two changes added, one removed
insert into deal_stage_changes (deal_id, stage_id, changed_at) values
  ('aaaaaaaa-0000-0000-0000-000000000002', 3, '2024-05-01 08:00:00+00'),
  ('aaaaaaaa-0000-0000-0000-000000000005', 1, '2024-05-01 11:00:00+00');
delete from deal_stage_changes where deal_id = 'aaaaaaaa-0000-0000-0000-000000000001' and stage_id = 1;
-- activities: an update, a hard delete, an insert, and a change to a note (not loaded at all)
update activities set subject = 'Pilot terms (signed)', updated_at = '2024-05-01 12:00:00+00' where id = 102;
delete from activities where id = 103;
insert into activities values (106, 'call', 6, null, '2024-05-01 12:30:00+00', 5, 'Welcome call', '{"outcome": "reached"}', '2024-05-01 12:30:00+00');
update activities set subject = 'Prefers phone', updated_at = '2024-05-01 13:00:00+00' where id = 104;
-- companies: one changed
update companies set industry = 'Software' where id = '33333333-3333-3333-3333-333333333333';
`;

const files = ['companies', 'contacts', 'deals', 'deal-stages', 'activities', 'orders'].map((n) => join(root, 'pipelines', 'examples', `postgres-${n}.json`));

function byPipeline(results: RunResult[]) {
  return Object.fromEntries(
    results.map((r) => [
      r.pipeline.replace('postgres-', ''),
      { status: r.status, error: r.error, read: r.rowsRead, ins: r.rowsInserted, upd: r.rowsUpdated, same: r.rowsUnchanged, del: r.rowsDeleted, bad: r.rowsQuarantined },
    ]),
  );
}

const ok = (read: number, ins: number, upd: number, same: number, del: number) => ({ status: 'succeeded', error: undefined, read, ins, upd, same, del, bad: 0 });

async function watermarks(wh: Warehouse) {
  return Object.fromEntries((await wh.all<{ pipeline: string; watermark: string }>('select pipeline, watermark from pipeline_state order by 1')).map((r) => [r.pipeline, r.watermark]));
}

beforeAll(async () => {
  await pgdb.sql(opcrmSchema);
  await pgdb.sql(opcrmSeed);
});

describe('postgres source: full then incremental load of an operational CRM', () => {
  it('loads everything, then exactly the updates, inserts and deletes made since', async () => {
    await withWarehouse(async (wh) => {
      // 1. Full load, in dependency order.
      const first = byPipeline(await runAll(wh, files));
      expect(first).toEqual({
        companies: ok(3, 3, 0, 0, 0),
        contacts: ok(5, 5, 0, 0, 0),
        orders: ok(6, 6, 0, 0, 0),
        deals: ok(4, 4, 0, 0, 0),
        'deal-stages': ok(8, 8, 0, 0, 0),
        activities: ok(4, 4, 0, 0, 0),
      });
      expect(await watermarks(wh)).toEqual({
        'postgres-activities': '2024-04-20 14:00:00+00',
        'postgres-contacts': '2024-04-05 12:00:00+00',
        'postgres-deals': '2024-04-13 10:00:00+00',
        'postgres-orders': '2024-04-06 12:00:00+00',
      });
      expect(await wh.all('select account_id, name, industry, employee_count, annual_revenue, country, created_at from accounts order by 1')).toEqual([
        { account_id: '11111111-1111-1111-1111-111111111111', name: 'Acme Corp', industry: 'Manufacturing', employee_count: 250, annual_revenue: 12500000, country: 'US', created_at: '2023-01-10T09:00:00.000Z' },
        { account_id: '22222222-2222-2222-2222-222222222222', name: 'Globex GmbH', industry: 'Software', employee_count: 40, annual_revenue: 3200000.5, country: 'DE', created_at: '2023-03-05T13:30:00.000Z' },
        { account_id: '33333333-3333-3333-3333-333333333333', name: 'Initech', industry: null, employee_count: null, annual_revenue: null, country: 'US', created_at: '2023-06-01T00:00:00.000Z' },
      ]);
      expect(await wh.all("select external_id, customer_id from customer_sources where source_system = 'opcrm' order by customer_id")).toEqual(
        [1, 2, 3, 4, 5].map((i) => ({ external_id: String(i), customer_id: i })),
      );
      expect(await wh.all('select customer_id, first_name, last_name, email, phone, account_id, email_opt_in, updated_at from customers where customer_id in (3, 5) order by 1')).toEqual([
        { customer_id: 3, first_name: 'Cid', last_name: 'Moe', email: 'cid@example.com', phone: null, account_id: null, email_opt_in: null, updated_at: '2024-04-03T10:00:00.000Z' },
        { customer_id: 5, first_name: 'Eve', last_name: 'Ng', email: 'eve@example.com', phone: '555-0105', account_id: null, email_opt_in: true, updated_at: '2024-04-05T12:00:00.000Z' },
      ]);
      expect(await wh.all('select order_id, customer_id, ordered_at, status, total_amount, discount_amount, currency, item_count, channel from orders order by 1')).toEqual([
        { order_id: 'SO-1001', customer_id: 1, ordered_at: '2024-04-01T10:00:00.000Z', status: 'completed', total_amount: 120, discount_amount: 0, currency: 'USD', item_count: 2, channel: 'web' },
        { order_id: 'SO-1002', customer_id: 2, ordered_at: '2024-04-02T11:30:00.000Z', status: 'completed', total_amount: 89.9, discount_amount: 10, currency: 'EUR', item_count: 1, channel: 'store' },
        { order_id: 'SO-1003', customer_id: 1, ordered_at: '2024-04-03T12:00:00.000Z', status: 'pending', total_amount: 45.5, discount_amount: 0, currency: 'USD', item_count: 1, channel: 'web' },
        { order_id: 'SO-1004', customer_id: 4, ordered_at: '2024-04-04T08:15:00.000Z', status: 'cancelled', total_amount: 300, discount_amount: 0, currency: 'USD', item_count: 3, channel: 'phone' },
        { order_id: 'SO-1005', customer_id: 5, ordered_at: '2024-04-05T17:45:00.000Z', status: 'returned', total_amount: 19.99, discount_amount: 0, currency: 'USD', item_count: 1, channel: 'web' },
        { order_id: 'SO-1006', customer_id: 3, ordered_at: '2024-04-06T09:00:00.000Z', status: 'completed', total_amount: 1000, discount_amount: 50, currency: 'USD', item_count: 5, channel: null },
      ]);
      expect(await wh.all('select deal_id, customer_id, account_id, pipeline, stage, status, amount, currency, source, expected_close_date, closed_at, lost_reason from deals order by 1')).toEqual([
        { deal_id: 'aaaaaaaa-0000-0000-0000-000000000001', customer_id: 1, account_id: '11111111-1111-1111-1111-111111111111', pipeline: 'New Business', stage: 'Proposal', status: 'open', amount: 50000, currency: 'USD', source: 'webinar', expected_close_date: '2024-06-30', closed_at: null, lost_reason: null },
        { deal_id: 'aaaaaaaa-0000-0000-0000-000000000002', customer_id: 2, account_id: '22222222-2222-2222-2222-222222222222', pipeline: 'New Business', stage: 'Qualification', status: 'open', amount: 12000.5, currency: 'EUR', source: null, expected_close_date: '2024-07-15', closed_at: null, lost_reason: null },
        { deal_id: 'aaaaaaaa-0000-0000-0000-000000000003', customer_id: 4, account_id: '33333333-3333-3333-3333-333333333333', pipeline: 'New Business', stage: 'Closed Won', status: 'won', amount: 8000, currency: 'USD', source: 'referral', expected_close_date: null, closed_at: '2024-04-01T09:00:00.000Z', lost_reason: null },
        { deal_id: 'aaaaaaaa-0000-0000-0000-000000000004', customer_id: 3, account_id: null, pipeline: 'New Business', stage: 'Closed Lost', status: 'lost', amount: null, currency: 'USD', source: null, expected_close_date: null, closed_at: '2024-04-05T12:00:00.000Z', lost_reason: 'Budget' },
      ]);
      expect(await wh.all("select stage, entered_at, exited_at from deal_stage_history where deal_id = 'aaaaaaaa-0000-0000-0000-000000000003' order by entered_at")).toEqual([
        { stage: 'Qualification', entered_at: '2024-02-01T10:00:00.000Z', exited_at: '2024-03-01T10:00:00.000Z' },
        { stage: 'Proposal', entered_at: '2024-03-01T10:00:00.000Z', exited_at: '2024-04-01T09:00:00.000Z' },
        { stage: 'Closed Won', entered_at: '2024-04-01T09:00:00.000Z', exited_at: null },
      ]);
      expect(await wh.all('select interaction_id, customer_id, channel, occurred_at, duration_seconds, subject, outcome, deal_id from interactions order by 1')).toEqual([
        { interaction_id: '101', customer_id: 1, channel: 'phone', occurred_at: '2024-03-02T15:00:00.000Z', duration_seconds: 1800, subject: 'Discovery call', outcome: 'positive', deal_id: 'aaaaaaaa-0000-0000-0000-000000000001' },
        { interaction_id: '102', customer_id: 2, channel: 'email', occurred_at: '2024-03-16T09:00:00.000Z', duration_seconds: null, subject: 'Pilot terms', outcome: null, deal_id: null },
        { interaction_id: '103', customer_id: 4, channel: 'meeting', occurred_at: '2024-03-25T14:00:00.000Z', duration_seconds: 3600, subject: 'Renewal meeting', outcome: 'signed', deal_id: 'aaaaaaaa-0000-0000-0000-000000000003' },
        { interaction_id: '105', customer_id: 3, channel: 'presentation', occurred_at: '2024-03-22T16:00:00.000Z', duration_seconds: 2700, subject: 'Product demo', outcome: null, deal_id: null },
      ]);
      const before = await wh.all('select * exclude (_run_id, _loaded_at) from orders order by order_id');

      // 2. Change PostgreSQL, then load incrementally. Only rows changed after the watermark minus
      //    30 minutes are read (the predicate runs in PostgreSQL): rows read = changed + overlap.
      await pgdb.sql(changes);
      const second = byPipeline(await runAll(wh, files));
      expect(second).toEqual({
        // full snapshot: Initech's industry changed
        companies: ok(3, 0, 1, 2, 0),
        // read: Bob (05-01), Fay (new), Eve (11:45 > 12:00 − 30 min); Dee's 11:00 change is outside the overlap
        contacts: ok(3, 1, 2, 0, 0),
        // read: SO-1003 (status), SO-1007 (new), SO-1006 (12:00, inside the overlap, unchanged); SO-1005 deleted via the key set
        orders: ok(3, 1, 1, 1, 1),
        // read: Globex (won), Cid's deal (soft-deleted), Fay's (new)
        deals: ok(3, 1, 1, 0, 1),
        // full snapshot of 7 changes (the deleted deal's 2 are left out by the query): 2 new, Globex's
        // Qualification now has an exit time, Acme's Qualification and the deleted deal's two are gone
        'deal-stages': ok(7, 2, 1, 4, 3),
        // read: 102 (updated), 106 (new), 105 (14:00, inside the overlap); 103 deleted via the key set; the note stays out
        activities: ok(3, 1, 1, 1, 1),
      });
      expect(await watermarks(wh)).toEqual({
        'postgres-activities': '2024-05-01 12:30:00+00',
        'postgres-contacts': '2024-05-01 10:00:00+00',
        'postgres-deals': '2024-05-01 11:00:00+00',
        'postgres-orders': '2024-05-01 10:30:00+00',
      });
      expect(await wh.all('select customer_id, last_name, email, phone from customers order by 1')).toEqual([
        { customer_id: 1, last_name: 'Lee', email: 'ann@acme.example', phone: '+1 555 0101' },
        { customer_id: 2, last_name: 'Stone', email: 'bob.stone@globex.example', phone: null },
        { customer_id: 3, last_name: 'Moe', email: 'cid@example.com', phone: null },
        // Dee's change committed with an updatedAt an hour before the watermark: outside the overlap, not seen
        { customer_id: 4, last_name: 'Park', email: 'dee@initech.example', phone: '555-0104' },
        { customer_id: 5, last_name: 'Ng', email: 'eve@example.com', phone: '555-9999' },
        { customer_id: 6, last_name: 'Wu', email: 'fay@example.com', phone: null },
      ]);
      const after = await wh.all<Record<string, unknown>>('select * exclude (_run_id, _loaded_at) from orders order by order_id');
      // Exactly: SO-1003 paid, SO-1005 gone, SO-1007 new; everything else as it was.
      expect(after).toEqual([
        before[0],
        before[1],
        { ...before[2], status: 'completed' },
        before[3],
        before[5],
        { order_id: 'SO-1007', customer_id: 6, ordered_at: '2024-05-01T10:30:00.000Z', status: 'completed', channel: 'web', currency: 'USD', total_amount: 75.25, discount_amount: 0, item_count: 1, campaign_id: null, employee_id: null, _pipeline: 'postgres-orders' },
      ]);
      expect(await wh.all('select deal_id, customer_id, stage, status, closed_at from deals order by 1')).toEqual([
        { deal_id: 'aaaaaaaa-0000-0000-0000-000000000001', customer_id: 1, stage: 'Proposal', status: 'open', closed_at: null },
        { deal_id: 'aaaaaaaa-0000-0000-0000-000000000002', customer_id: 2, stage: 'Closed Won', status: 'won', closed_at: '2024-05-01T08:00:00.000Z' },
        { deal_id: 'aaaaaaaa-0000-0000-0000-000000000003', customer_id: 4, stage: 'Closed Won', status: 'won', closed_at: '2024-04-01T09:00:00.000Z' },
        { deal_id: 'aaaaaaaa-0000-0000-0000-000000000005', customer_id: 6, stage: 'Qualification', status: 'open', closed_at: null },
      ]);
      expect(await wh.all("select deal_id, stage, entered_at, exited_at from deal_stage_history where deal_id in ('aaaaaaaa-0000-0000-0000-000000000001', 'aaaaaaaa-0000-0000-0000-000000000002') order by deal_id, entered_at")).toEqual([
        { deal_id: 'aaaaaaaa-0000-0000-0000-000000000001', stage: 'Proposal', entered_at: '2024-03-20T10:00:00.000Z', exited_at: null },
        { deal_id: 'aaaaaaaa-0000-0000-0000-000000000002', stage: 'Qualification', entered_at: '2024-03-15T10:00:00.000Z', exited_at: '2024-05-01T08:00:00.000Z' },
        { deal_id: 'aaaaaaaa-0000-0000-0000-000000000002', stage: 'Closed Won', entered_at: '2024-05-01T08:00:00.000Z', exited_at: null },
      ]);
      expect(await wh.all('select interaction_id, customer_id, channel, subject from interactions order by 1')).toEqual([
        { interaction_id: '101', customer_id: 1, channel: 'phone', subject: 'Discovery call' },
        { interaction_id: '102', customer_id: 2, channel: 'email', subject: 'Pilot terms (signed)' },
        { interaction_id: '105', customer_id: 3, channel: 'presentation', subject: 'Product demo' },
        { interaction_id: '106', customer_id: 6, channel: 'phone', subject: 'Welcome call' },
      ]);
      expect(await wh.all("select industry from accounts where account_id = '33333333-3333-3333-3333-333333333333'")).toEqual([{ industry: 'Software' }]);

      // 3. Nothing changed: the incremental pipelines read only their overlap windows (the rows
      //    changed in the last 30 minutes before each watermark) and change nothing.
      const third = byPipeline(await runAll(wh, files));
      expect(third).toEqual({
        companies: ok(3, 0, 0, 3, 0),
        contacts: ok(1, 0, 0, 1, 0),
        orders: ok(1, 0, 0, 1, 0),
        deals: ok(1, 0, 0, 1, 0),
        'deal-stages': ok(7, 0, 0, 7, 0),
        activities: ok(1, 0, 0, 1, 0),
      });
      expect(await wh.all("select count(*) as n from pipeline_runs where status = 'succeeded'")).toEqual([{ n: 18 }]);
    });
  });

  it('pushes a timestamp-without-time-zone watermark down in the pipeline\'s zone, with a margin the load trims', async () => {
    await pgdb.sql(`
      create table visits (id int primary key, visitor bigint not null, seen_local timestamp not null);
      insert into visits values (1, 1, '2024-06-01 08:00:00'), (2, 1, '2024-06-01 20:00:00'), (3, 2, '2024-06-02 09:00:00');
    `);
    await withWarehouse(async (wh, dir) => {
      await wh.run("insert into customers (customer_id) values (1), (2); insert into customer_sources values ('web', '1', 1, 'new', null, null, 1, now()), ('web', '2', 2, 'new', null, null, 1, now())");
      const file = join(dir, 'visits.json');
      const { writeFileSync } = await import('node:fs');
      writeFileSync(
        file,
        JSON.stringify({
          system: 'web',
          source: { type: 'postgres', table: 'visits' },
          entity: 'interactions',
          timezone: 'Europe/Berlin',
          mapping: { interaction_id: 'id', customer_id: 'visitor', channel: { const: 'web_form' }, occurred_at: 'seen_local' },
          incremental: { field: 'occurred_at', overlapMinutes: 0 },
        }),
      );
      expect(await runPipelineFile(wh, file)).toMatchObject({ status: 'succeeded', rowsRead: 3, rowsInserted: 3 });
      // 2024-06-02 09:00 in Berlin (CEST, +02) is 07:00Z
      expect(await watermarks(wh)).toEqual({ visits: '2024-06-02 07:00:00+00' });
      await pgdb.sql(`insert into visits values (4, 2, '2024-06-02 09:30:00'), (5, 2, '2024-06-01 08:30:00')`);
      // PostgreSQL returns rows after 2024-06-01 09:00 local (a day's margin): 2, 3, 4; the load keeps only 4.
      // Row 5 (a day old) is neither read nor loaded.
      expect(await runPipelineFile(wh, file)).toMatchObject({ status: 'succeeded', rowsRead: 3, rowsInserted: 1, rowsUnchanged: 0 });
      expect(await wh.all('select interaction_id, occurred_at from interactions order by 1')).toEqual([
        { interaction_id: '1', occurred_at: '2024-06-01T06:00:00.000Z' },
        { interaction_id: '2', occurred_at: '2024-06-01T18:00:00.000Z' },
        { interaction_id: '3', occurred_at: '2024-06-02T07:00:00.000Z' },
        { interaction_id: '4', occurred_at: '2024-06-02T07:30:00.000Z' },
      ]);
    });
  });
});
