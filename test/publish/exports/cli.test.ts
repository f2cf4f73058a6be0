import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../../src/cli/main.ts';
import { createSegment } from '../../../src/models/segments/index.ts';
import { Warehouse } from '../../../src/warehouse/index.ts';
import { tempDir } from '../../helpers.ts';
import { AS_OF, everyone, seedFixture } from '../../models/segments/fixture.ts';

/** Runs `crm …` in-process against a warehouse file; returns exit code and what it printed. */
async function crm(db: string, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => (err.push(String(s)), true));
  const before = process.env.CRM_DB;
  process.env.CRM_DB = db;
  try {
    const code = await main(['node', 'crm', ...args]);
    return { code, out: out.join(''), err: err.join('') };
  } finally {
    process.env.CRM_DB = before;
    o.mockRestore();
    e.mockRestore();
  }
}

afterEach(() => vi.restoreAllMocks());

describe('crm segment / export / campaign (CLI)', () => {
  it('previews, saves, exports and refuses with the right exit codes', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const db = join(dir, 'crm.duckdb');
      const wh = await Warehouse.open(db);
      await seedFixture(wh);
      await createSegment(wh, everyone);
      await wh.close();

      const bad = await crm(db, 'segment', 'preview', '--rule', '{"field":"contry","op":"eq","value":"DE"}');
      expect(bad.code).toBe(2);
      expect(bad.err).toMatch(/^error: rule\.field: unknown field "contry" \(did you mean "country"\?\)/);

      const created = await crm(db, 'segment', 'create', 'de', '--rule', '{"field":"country","op":"eq","value":"DE"}', '--as-of', AS_OF);
      expect(created.code).toBe(0);
      expect(created.out).toContain('segment de as of 2026-06-30: 4 customers (33.3% of 12 customers)');
      expect(created.out).toContain('saved de version 1');

      const out = join(dir, 'de.csv');
      const exp = await crm(db, 'export', '--segment', 'de', '--channel', 'email', '--out', out, '--as-of', AS_OF, '--requested-by', 'cli-test');
      expect(exp.code).toBe(0);
      expect(exp.out).toMatch(/^export 1: /);
      expect(exp.out).toMatch(/excluded: duplicate\s+1/);
      expect(readFileSync(out, 'utf8').trim().split('\n')).toEqual(['customer_id,email,first_name,last_name', '1,ada@example.com,Ada,"Åström, ""Ada"""', "2,bo@example.com,\"'\rBo\",'-2+3+cmd|' /C calc'!A0", "11,kay@example.com,'\tKay,Kim"]);

      const again = await crm(db, 'export', '--segment', 'de', '--channel', 'email', '--out', out);
      expect(again.code).toBe(3);
      expect(again.err).toContain('already exists; pass --force to replace it');

      const list = await crm(db, 'export', 'list', '--format', 'json');
      expect(JSON.parse(list.out).map((r: { export_id: number; requested_by: string }) => [r.export_id, r.requested_by])).toEqual([[1, 'cli-test']]);

      const lift = await crm(db, 'campaign', 'lift', '--campaign', 'nope');
      expect(lift.code).toBe(2);
      expect(lift.err).toContain('no export is recorded for campaign "nope"');

      const empty = await crm(db, 'export', '--segment', 'de', '--channel', 'phone', '--out', join(dir, 'none.csv'), '--as-of', AS_OF, '--force');
      expect(empty.code).toBe(0); // customer 1 has a phone opt-in
      const none = await crm(db, 'export', '--segment', 'de', '--channel', 'mail', '--out', join(dir, 'x.csv'), '--fields', 'street,shoe_size');
      expect(none.code).toBe(2);
      expect(existsSync(join(dir, 'x.csv'))).toBe(false);
    } finally {
      cleanup();
    }
  });
});
