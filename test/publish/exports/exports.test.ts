import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../../src/errors.ts';
import type { Warehouse } from '../../../src/warehouse/index.ts';
import { canonicalJson, createSegment, expandDefinition, loadCatalog, sha256 } from '../../../src/models/segments/index.ts';
import { createExport, getExport, holdoutDrawJs, listExports } from '../../../src/publish/exports/index.ts';
import { AS_OF } from '../../models/segments/fixture.ts';
import { exportIn, savePlanNineFirst, withFixture } from './fixture.ts';

const statuses = async (wh: Warehouse, exportId: number) =>
  Object.fromEntries(
    (await wh.all<{ customer_id: number; status: string; reason: string | null }>('select customer_id, status, reason from export_members where export_id = $id order by customer_id', { id: exportId })).map((r) => [
      r.customer_id,
      r.reason ?? r.status,
    ]),
  );

/** A CSV read back by DuckDB's own reader, every cell as text. */
const readCsv = (wh: Warehouse, path: string) =>
  wh.all<Record<string, string | null>>(`select * from read_csv($p, header = true, all_varchar = true, delim = ',', quote = '"', escape = '"')`, { p: path });


describe('contactability', () => {
  it(
    'email: excludes by the first reason that applies, dedupes on the normalised address, counts each reason',
    withFixture(async (wh, dir) => {
      const m = await exportIn(wh, dir, { out: 'a.csv' });
      expect(await statuses(wh, m.exportId)).toEqual({
        1: 'target', 2: 'target', 3: 'target', 4: 'do_not_contact', 5: 'unsubscribed', 6: 'no_opt_in', 7: 'missing_address',
        8: 'malformed_address', 9: 'duplicate', 10: 'target', 11: 'target', 12: 'no_opt_in',
      });
      expect(m.counts).toEqual({
        segmentMembers: 12,
        excluded: { do_not_contact: 1, unsubscribed: 1, no_opt_in: 2, missing_address: 1, malformed_address: 1, duplicate: 1 },
        eligible: 5, holdout: 0, targeted: 5, added: null, removed: null, rowsWritten: 5,
      });
    }),
  );

  it(
    'sms, phone and mail have their own opt-ins, addresses and keys',
    withFixture(async (wh, dir) => {
      const sms = await exportIn(wh, dir, { out: 's.csv', channel: 'sms' });
      expect(await statuses(wh, sms.exportId)).toEqual({
        1: 'target', 2: 'no_opt_in', 3: 'target', 4: 'do_not_contact', 5: 'unsubscribed', 6: 'no_opt_in', 7: 'no_opt_in',
        8: 'no_opt_in', 9: 'duplicate', 10: 'target', 11: 'no_opt_in', 12: 'malformed_address',
      });
      const phone = await exportIn(wh, dir, { out: 'p.csv', channel: 'phone' });
      expect(phone.counts.excluded).toEqual({ do_not_contact: 1, unsubscribed: 1, no_opt_in: 9, missing_address: 0, malformed_address: 0, duplicate: 0 });
      expect(phone.counts.targeted).toBe(1);
      const mail = await exportIn(wh, dir, { out: 'm.csv', channel: 'mail' });
      expect(await statuses(wh, mail.exportId)).toEqual({
        1: 'target', 2: 'target', 3: 'target', 4: 'do_not_contact', 5: 'unsubscribed', 6: 'missing_address', 7: 'missing_address',
        8: 'missing_address', 9: 'duplicate', 10: 'target', 11: 'missing_address', 12: 'malformed_address',
      });
      // a phone number is not a formula: it reaches the file unchanged
      const rows = await readCsv(wh, sms.path);
      expect(rows.map((r) => r.phone)).toEqual(['+49 30 1111111', '+33 1 22 33 44 55', '+46 70 123 45 67']);
    }),
  );

  it(
    'within a plan, a duplicate address keeps the customer of the higher-priority segment',
    withFixture(async (wh, dir) => {
      await savePlanNineFirst(wh);
      const m = await exportIn(wh, dir, { segment: undefined, plan: 'p', out: 'plan.csv' });
      const s = await statuses(wh, m.exportId);
      expect([s[1], s[9]]).toEqual(['duplicate', 'target']);
      const rows = await readCsv(wh, m.path);
      expect(Object.keys(rows[0])).toEqual(['customer_id', 'email', 'first_name', 'last_name', 'segment']);
      expect(rows.map((r) => [r.customer_id, r.segment])).toEqual([['2', 'everyone'], ['3', 'everyone'], ['9', 'nine'], ['10', 'everyone'], ['11', 'everyone']]);
      const only = await exportIn(wh, dir, { segment: 'nine', plan: 'p', out: 'plan-nine.csv' });
      expect(only.counts).toMatchObject({ segmentMembers: 1, targeted: 1 });
    }),
  );
});

describe('safe files', () => {
  it(
    'CSV: formulas neutralised in SQL, numbers and phones left alone, quoting and UTF-8 intact',
    withFixture(async (wh, dir) => {
      const m = await exportIn(wh, dir, { out: 'safe.csv', fields: ['customer_id', 'first_name', 'last_name', 'email', 'revenue', 'last_order_at'] });
      const rows = await readCsv(wh, m.path);
      expect(rows).toEqual([
        { customer_id: '1', first_name: 'Ada', last_name: 'Åström, "Ada"', email: 'ada@example.com', revenue: '100.00', last_order_at: '2026-06-29T12:00:00.000Z' },
        { customer_id: '2', first_name: "'\rBo", last_name: "'-2+3+cmd|' /C calc'!A0", email: 'bo@example.com', revenue: '100.00', last_order_at: '2026-06-25T12:00:00.000Z' },
        { customer_id: '3', first_name: '\'=HYPERLINK("http://x","y")', last_name: 'Cy', email: 'cy@example.com', revenue: '300.00', last_order_at: '2026-05-01T12:00:00.000Z' },
        { customer_id: '10', first_name: "'@SUM(1+1)", last_name: '-12.5', email: 'jo@example.com', revenue: '250.00', last_order_at: '2026-04-01T12:00:00.000Z' },
        { customer_id: '11', first_name: "'\tKay", last_name: 'Kim', email: 'kay@example.com', revenue: '0.00', last_order_at: null },
      ]);
      const text = readFileSync(m.path, 'utf8');
      expect(text.split('\n')[0]).toBe('customer_id,first_name,last_name,email,revenue,last_order_at');
      expect(text).toContain('1,Ada,"Åström, ""Ada""",ada@example.com');
      expect(text).toContain(`3,"'=HYPERLINK(""http://x"",""y"")",Cy`);
      expect(readFileSync(m.path).subarray(0, 3).toString('hex')).not.toBe('efbbbf'); // UTF-8 without BOM
      expect(text).not.toMatch(/(^|,)[=+@]/m);
    }),
  );

  it(
    'Parquet, JSON, NDJSON and Arrow keep types',
    withFixture(async (wh, dir) => {
      const fields = ['customer_id', 'email', 'last_order_at', 'revenue', 'email_opt_in', 'first_name'];
      const pq = await exportIn(wh, dir, { out: 'a.parquet', fields });
      const types = await wh.all<{ column_name: string; column_type: string }>('select column_name, column_type from (describe select * from read_parquet($p))', { p: pq.path });
      expect(types.map((t) => `${t.column_name}:${t.column_type}`)).toEqual([
        'customer_id:BIGINT', 'email:VARCHAR', 'last_order_at:TIMESTAMP WITH TIME ZONE', 'revenue:DECIMAL(38,2)', 'email_opt_in:BOOLEAN', 'first_name:VARCHAR',
      ]);
      const [first] = await wh.all<{ first_name: string }>('select first_name from read_parquet($p) where customer_id = 3', { p: pq.path });
      expect(first.first_name).toBe('=HYPERLINK("http://x","y")'); // typed formats are not spreadsheets: values stay as they are

      const js = await exportIn(wh, dir, { out: 'a.json', fields });
      const arr = JSON.parse(readFileSync(js.path, 'utf8')) as Record<string, unknown>[];
      expect(arr).toHaveLength(5);
      expect(arr[0]).toEqual({ customer_id: 1, email: 'ada@example.com', last_order_at: '2026-06-29T12:00:00.000Z', revenue: 100, email_opt_in: true, first_name: 'Ada' });
      const nd = await exportIn(wh, dir, { out: 'a.ndjson', fields });
      const lines = readFileSync(nd.path, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      expect(lines).toEqual(arr);

      const ar = await exportIn(wh, dir, { out: 'a.arrow', fields });
      const t = tableFromIPC(readFileSync(ar.path));
      expect(t.numRows).toBe(5);
      expect(t.schema.fields.map((f) => `${f.name}:${f.type}`)).toEqual([
        'customer_id:Int64', 'email:Utf8', 'last_order_at:Timestamp<MICROSECOND, UTC>', 'revenue:Decimal[38e+2]', 'email_opt_in:Bool', 'first_name:Utf8',
      ]);
      const row = t.get(2)!.toJSON() as Record<string, unknown>;
      expect(row.customer_id).toBe(3n);
      expect(row.last_order_at).toBe(Date.parse('2026-05-01T12:00:00Z'));
      expect(Array.from(row.revenue as Uint32Array)).toEqual([30000, 0, 0, 0]);
      expect(t.get(4)!.toJSON().last_order_at).toBeNull();
    }),
  );
});

describe('holdout', () => {
  it(
    'is a stable hash of campaign and customer: the same on re-runs, unaffected by who else is in the list',
    withFixture(async (wh, dir) => {
      const a = await exportIn(wh, dir, { out: 'h1.csv', holdout: 0.5, campaign: 'C7' });
      const expected = (campaign: string, ids: number[]) =>
        Object.fromEntries(ids.map((id) => [id, holdoutDrawJs(`campaign:${campaign}:`, id) < 0.5 ? 'holdout' : 'target']));
      const eligible = [1, 2, 3, 10, 11];
      const sa = await statuses(wh, a.exportId);
      expect(Object.fromEntries(eligible.map((id) => [id, sa[id]]))).toEqual(expected('C7', eligible));
      expect(a.counts.holdout + a.counts.targeted).toBe(5);
      expect(a.holdoutKey).toBe('campaign:C7:');

      const again = await exportIn(wh, dir, { out: 'h1.csv', holdout: 0.5, campaign: 'C7', force: true });
      expect(await statuses(wh, again.exportId)).toEqual(sa);
      expect(again.fileSha256).toBe(a.fileSha256);

      await wh.run(`insert into customers (customer_id, first_name, email, email_norm, email_opt_in) select range, 'n' || range, 'x' || range || '@example.com', 'x' || range || '@example.com', true from range(13, 60)`);
      const bigger = await exportIn(wh, dir, { out: 'h2.csv', holdout: 0.5, campaign: 'C7' });
      const sb = await statuses(wh, bigger.exportId);
      for (const id of eligible) expect(sb[id]).toBe(sa[id]);
      const all = [...eligible, ...Array.from({ length: 47 }, (_, i) => i + 13)];
      expect(Object.fromEntries(all.map((id) => [id, sb[id]]))).toEqual(expected('C7', all));
      // another campaign draws its own group (checked against the JS twin of the hash)
      const other = await exportIn(wh, dir, { out: 'h3.csv', holdout: 0.5, campaign: 'C8' });
      const so = await statuses(wh, other.exportId);
      expect(Object.fromEntries(all.map((id) => [id, so[id]]))).toEqual(expected('C8', all));
      expect(all.some((id) => so[id] !== sb[id])).toBe(true);
      // the holdout is written nowhere but the log: the file holds the targeted only
      expect((await readCsv(wh, bigger.path)).map((r) => Number(r.customer_id))).toEqual(all.filter((id) => sb[id] === 'target'));
    }),
  );
});

describe('diff mode', () => {
  it(
    'writes who was added and removed since an earlier export, and keeps the full list for the next diff',
    withFixture(async (wh, dir) => {
      const a = await exportIn(wh, dir, { out: 'full.csv' });
      await wh.run("update customers set unsubscribed_at = '2026-06-30 09:00:00+00' where customer_id = 2");
      await wh.run("insert into customers (customer_id, first_name, last_name, email, email_norm, email_opt_in) values (13, 'Mo', 'May', 'mo@example.com', 'mo@example.com', true)");
      const b = await exportIn(wh, dir, { out: 'delta.csv', diffSince: a.exportId });
      expect(b.counts).toMatchObject({ targeted: 5, added: 1, removed: 1, rowsWritten: 2 });
      expect((await readCsv(wh, b.path)).map((r) => [r.change, r.customer_id, r.email])).toEqual([
        ['added', '13', 'mo@example.com'],
        ['removed', '2', 'bo@example.com'],
      ]);
      const c = await exportIn(wh, dir, { out: 'delta2.csv', diffSince: b.exportId });
      expect(c.counts).toMatchObject({ added: 0, removed: 0, rowsWritten: 0 });
      expect(readFileSync(c.path, 'utf8').trim()).toBe('change,customer_id,email,first_name,last_name');
      await expect(exportIn(wh, dir, { out: 'x.csv', channel: 'sms', diffSince: a.exportId })).rejects.toThrow(/was for email, not sms/);
      await expect(exportIn(wh, dir, { out: 'x.csv', diffSince: 999 })).rejects.toThrow('export 999 does not exist');
    }),
  );
});

describe('manifest', () => {
  it(
    'logs definition and hash, model runs, counts, file checksum, time and requester',
    withFixture(async (wh, dir) => {
      const m = await exportIn(wh, dir, { segment: 'win-back', out: 'best.csv', campaign: 'C9', holdout: 0.1, fields: ['customer_id', 'email', 'rfm_segment'] });
      const log = await getExport(wh, m.exportId);
      const expanded = expandDefinition(await loadCatalog(wh), 'win-back');
      expect(log).toMatchObject({
        export_id: m.exportId,
        requested_by: 'test',
        segment_name: 'win-back',
        campaign_id: 'C9',
        channel: 'email',
        format: 'csv',
        path: m.path,
        fields: ['customer_id', 'email', 'rfm_segment'],
        as_of: AS_OF,
        holdout_share: 0.1,
        holdout_key: 'campaign:C9:',
        definition_hash: sha256(canonicalJson(expanded)),
        segment_members: 1,
        rows_written: m.counts.rowsWritten,
        file_sha256: createHash('sha256').update(readFileSync(m.path)).digest('hex'),
        file_bytes: readFileSync(m.path).length,
      });
      expect(log.definition).toEqual(JSON.parse(JSON.stringify(expanded)));
      expect(Object.keys((log.definition as { references: object }).references).sort()).toEqual(['rfm-at-risk', 'rfm-cant-lose-them']);
      expect(log.model_runs).toMatchObject({ customer_value_run_id: null, rfm: `scored live as of ${AS_OF} (10 customers)` });
      const held = holdoutDrawJs('campaign:C9:', 10) < 0.1;
      expect(m.counts).toMatchObject({ eligible: 1, holdout: held ? 1 : 0, targeted: held ? 0 : 1 });
      expect(await readCsv(wh, m.path)).toEqual(held ? [] : [{ customer_id: '10', email: 'jo@example.com', rfm_segment: 'cant-lose-them' }]);
      expect((await listExports(wh, { campaign: 'C9' })).map((e) => e.export_id)).toEqual([m.exportId]);
    }),
  );
});

describe('bad input: clear errors, nothing half-written', () => {
  it(
    'refuses an existing file unless forced, a missing or unwritable directory, unknown names, an empty list',
    withFixture(async (wh, dir) => {
      writeFileSync(join(dir, 'taken.csv'), 'keep me');
      const err = (await exportIn(wh, dir, { out: 'taken.csv' }).catch((e: unknown) => e)) as AppError;
      expect(err).toBeInstanceOf(AppError);
      expect(err.code).toBe('CONFLICT');
      expect(err.message).toBe(`${join(dir, 'taken.csv')} already exists; pass --force to replace it`);
      expect(readFileSync(join(dir, 'taken.csv'), 'utf8')).toBe('keep me');
      await exportIn(wh, dir, { out: 'taken.csv', force: true });
      expect(readFileSync(join(dir, 'taken.csv'), 'utf8')).toMatch(/^customer_id,email/);

      await expect(exportIn(wh, dir, { out: 'no/such/dir/x.csv' })).rejects.toThrow(`directory ${join(dir, 'no/such/dir')} does not exist`);
      await expect(exportIn(wh, dir, { out: 'taken.csv/x.csv' })).rejects.toThrow(`${join(dir, 'taken.csv')} is not a directory`);
      mkdirSync(join(dir, 'sub'));
      await expect(exportIn(wh, dir, { out: 'sub', format: 'csv' })).rejects.toThrow(/is a directory; give a file name/);
      if (process.platform === 'linux') await expect(createExport(wh, { segment: 'everyone', channel: 'email', out: '/proc/crm-export.csv' })).rejects.toThrow(/^cannot write \/proc\/crm-export\.csv: /);

      await expect(exportIn(wh, dir, { out: 'x.csv', segment: 'nope' })).rejects.toThrow(/unknown segment "nope"/);
      await expect(exportIn(wh, dir, { out: 'x.csv', fields: ['email', 'passwd'] })).rejects.toThrow(/unknown field "passwd"; valid fields: customer_id, first_name/);
      await expect(exportIn(wh, dir, { out: 'x.txt' })).rejects.toThrow(/cannot tell the format from .*pass --format csv\|ndjson\|json\|parquet\|arrow/);
      await expect(exportIn(wh, dir, { out: 'x.csv', holdout: 1.5 })).rejects.toThrow(/holdout/);

      await createSegment(wh, { name: 'gb', rule: { field: 'country', op: 'eq', value: 'GB' } });
      await expect(exportIn(wh, dir, { out: 'gb.csv', segment: 'gb' })).rejects.toThrow(
        `nobody to export: segment "gb" has 3 members as of ${AS_OF}, none contactable by email (excluded: no_opt_in 1, missing_address 1, malformed_address 1); nothing was written (pass --allow-empty to write an empty file anyway)`,
      );
      const before = (await listExports(wh)).length;
      expect(readdirSync(dir).filter((f) => f.endsWith('.tmp') || f === 'gb.csv' || f === 'x.csv')).toEqual([]);
      const [{ n }] = await wh.all<{ n: number }>("select count(*) as n from export_members m where not exists (select 1 from export_log l where l.export_id = m.export_id)");
      expect(n).toBe(0);
      const empty = await exportIn(wh, dir, { out: 'gb.csv', segment: 'gb', allowEmpty: true });
      expect(empty.counts.rowsWritten).toBe(0);
      expect((await listExports(wh)).length).toBe(before + 1);
    }),
  );
});
