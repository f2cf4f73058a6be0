import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { Warehouse } from '../../../src/warehouse/index.ts';
import { csvSafe } from '../../../src/publish/exports/writers.ts';
import { withWarehouse } from '../../helpers.ts';
import { exportIn, savePlanNineFirst, withFixture } from './fixture.ts';

/**
 * The compact audit rows (migration 303): status and reason as ENUMs, segment_name null for "the
 * export's segment", resolved by the view export_member_outcomes; the hash-found dedupe at a size
 * where every address repeats; the CSV formula test on edge values.
 */



type Outcome = { customer_id: number; status: string; reason: string | null; address_key: string | null; segment_name: string | null };
const rows = (wh: Warehouse, from: string, id: number) =>
  wh.all<Outcome>(`select customer_id, status, reason, address_key, segment_name from ${from} where export_id = $id order by customer_id`, { id });

describe('audit rows', () => {
  it(
    'one segment: no name stored per member, resolved by export_member_outcomes; the address only for the excluded',
    withFixture(async (wh, dir) => {
      const m = await exportIn(wh, dir, { out: 'a.csv' });
      const stored = await rows(wh, 'export_members', m.exportId);
      expect(stored).toHaveLength(12);
      expect(stored.every((r) => r.segment_name === null)).toBe(true);
      expect(stored.filter((r) => r.status === 'excluded').map((r) => [r.customer_id, r.reason, r.address_key])).toEqual([
        [4, 'do_not_contact', 'di@example.com'],
        [5, 'unsubscribed', 'ed@example.com'],
        [6, 'no_opt_in', 'fe@example.com'],
        [7, 'missing_address', null],
        [8, 'malformed_address', 'not-an-email'],
        [9, 'duplicate', 'ada@example.com'],
        [12, 'no_opt_in', 'lu@example.com'],
      ]);
      // 7 has no e-mail at all (its key is null); 8's key is the malformed address; 9 is the duplicate of 1.
      expect(stored.find((r) => r.customer_id === 7)).toMatchObject({ status: 'excluded', reason: 'missing_address', address_key: null });
      expect(stored.find((r) => r.customer_id === 8)).toMatchObject({ status: 'excluded', reason: 'malformed_address', address_key: 'not-an-email' });
      expect(stored.find((r) => r.customer_id === 9)).toMatchObject({ status: 'excluded', reason: 'duplicate', address_key: 'ada@example.com' });
      expect(stored.find((r) => r.customer_id === 12)).toMatchObject({ status: 'excluded', reason: 'no_opt_in', address_key: 'lu@example.com' });
      expect(stored.filter((r) => r.status === 'target').every((r) => r.address_key === null && r.reason === null)).toBe(true);
      const resolved = await rows(wh, 'export_member_outcomes', m.exportId);
      expect(resolved.map((r) => r.segment_name)).toEqual(Array(12).fill('everyone'));
      expect(resolved.map(({ segment_name: _, ...r }) => r)).toEqual(stored.map(({ segment_name: _, ...r }) => r));
      // the ENUM columns compare with text as before
      const [{ n }] = await wh.all<{ n: number }>("select count(*) as n from export_members where export_id = $id and status = 'target' and reason is null", { id: m.exportId });
      expect(n).toBe(5);
    }),
  );

  it(
    'a whole plan stores each member’s segment, and a diff of it names the segment of removed members',
    withFixture(async (wh, dir) => {
      await savePlanNineFirst(wh);
      const a = await exportIn(wh, dir, { segment: undefined, plan: 'p', out: 'plan.csv' });
      const stored = await rows(wh, 'export_members', a.exportId);
      expect(stored.map((r) => [r.customer_id, r.segment_name])).toEqual([
        [1, 'everyone'], [2, 'everyone'], [3, 'everyone'], [4, 'everyone'], [5, 'everyone'], [6, 'everyone'],
        [7, 'everyone'], [8, 'everyone'], [9, 'nine'], [10, 'everyone'], [11, 'everyone'], [12, 'everyone'],
      ]);
      // 9 outranks 1 (same address) through the plan's priority
      expect(stored.find((r) => r.customer_id === 1)).toMatchObject({ status: 'excluded', reason: 'duplicate' });
      // one segment of the plan: the name is the log row's
      const only = await exportIn(wh, dir, { segment: 'nine', plan: 'p', out: 'nine.csv' });
      expect((await rows(wh, 'export_members', only.exportId)).map((r) => r.segment_name)).toEqual([null]);
      expect((await rows(wh, 'export_member_outcomes', only.exportId)).map((r) => r.segment_name)).toEqual(['nine']);

      await wh.run("update customers set do_not_contact = true where customer_id = 9");
      const d = await exportIn(wh, dir, { segment: undefined, plan: 'p', out: 'delta.csv', diffSince: a.exportId });
      expect(d.counts).toMatchObject({ added: 1, removed: 1 });
      const csv = await wh.all<Record<string, string>>(`select * from read_csv($p, header = true, all_varchar = true)`, { p: d.path });
      expect(csv.map((r) => [r.change, r.customer_id, r.segment])).toEqual([
        ['added', '1', 'everyone'],
        ['removed', '9', 'nine'],
      ]);
    }),
  );
});

describe('dedupe at scale', () => {
  it(
    'keeps the lowest customer_id of every repeated address (300 customers on 50 addresses)',
    withFixture(async (wh, dir) => {
      // 100..399: address g<i % 50>@x.com, written with varying case and spaces; email_norm left null
      // so the channel normalises it (lower + trim).
      await wh.run(`insert into customers (customer_id, first_name, email, email_opt_in)
        select i, 'n' || i, case when i % 3 = 0 then ' G' || (i % 50) || '@X.com ' else 'g' || (i % 50) || '@x.com' end, true from range(100, 400) t(i)`);
      const m = await exportIn(wh, dir, { out: 'many.csv' });
      expect(m.counts.excluded.duplicate).toBe(1 + 250);
      expect(m.counts.targeted).toBe(5 + 50);
      const kept = await wh.all<{ customer_id: number }>("select customer_id from export_members where export_id = $id and status = 'target' and customer_id >= 100 order by 1", { id: m.exportId });
      expect(kept.map((r) => r.customer_id)).toEqual(Array.from({ length: 50 }, (_, i) => 100 + i));
      const dupKeys = await wh.all<{ k: string; n: number }>(
        "select address_key as k, count(*) as n from export_members where export_id = $id and reason = 'duplicate' and customer_id >= 100 group by 1 order by 1",
        { id: m.exportId },
      );
      expect(dupKeys).toHaveLength(50);
      expect(dupKeys.every((r) => r.n === 5 && /^g\d+@x\.com$/.test(r.k))).toBe(true);
    }),
  );
});

describe('CSV formula test', () => {
  it('escapes only cells that start a formula, and leaves numbers, phones, blanks and nulls alone', () =>
    withWarehouse(async (wh) => {
      const values = ['', '=1+1', '+', '+49 30 123', '-12.5', '-x', '@a', '\tTab', '\rCR', 'a=b', ' =x', '>1', '?', '(1)', 'Åsa', '=', null];
      const rowsSql = values.map((v, i) => sql`(${v === null ? sql`null` : sql.lit(v)}::varchar, ${sql.lit(i)})`);
      const q = sql`select v, ${csvSafe(sql.ref('v'))} as safe from (values ${sql.join(rowsSql)}) t(v, i) order by i`.compile(wh.db);
      const got = await wh.all<{ v: string | null; safe: string | null }>(q.sql, [...q.parameters]);
      expect(got.map((r) => r.safe)).toEqual(['', "'=1+1", "'+", '+49 30 123', '-12.5', "'-x", "'@a", "'\tTab", "'\rCR", 'a=b', ' =x', '>1', '?', '(1)', 'Åsa', "'=", null]);
    }));
});
