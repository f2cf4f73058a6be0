import fc from 'fast-check';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { blank } from '../../../src/publish/exports/channels.ts';
import { withWarehouse } from '../../helpers.ts';

describe('blank (missing address)', () => {
  it('agrees with nullif(trim(x), \'\') is null on strings of spaces, Unicode spaces, controls and letters', () =>
    withWarehouse(async (wh) => {
      // ' ', NBSP, ideographic space, Ogham space mark: trimmed; tab, LF, CR, DEL, NEL, zero-width space, line separator: not.
      const alphabet = [' ', '\u00a0', '\u3000', '\u1680', '\t', '\n', '\r', '\u007f', '\u0085', '\u200b', '\u2028', 'a', '!', '~', 'é', '@', '.'];
      const values = fc.sample(fc.array(fc.constantFrom(...alphabet), { maxLength: 5 }).map((a) => a.join('')), { numRuns: 3000, seed: 42 });
      const all: (string | null)[] = [...new Set(['', ' ', '\u00a0', '\u00a0a', ' a', '!', '~', '\u007f', ...values]), null];
      const rows = all.map((v, i) => sql`(${v === null ? sql`null` : sql.lit(v)}::varchar, ${sql.lit(i)})`);
      const q = sql`select i, ${blank('x')} as fast, nullif(trim(x), '') is null as ref from (values ${sql.join(rows)}) t(x, i) order by i`.compile(wh.db);
      const got = await wh.all<{ i: number; fast: boolean; ref: boolean }>(q.sql, [...q.parameters]);
      expect(got).toHaveLength(all.length);
      expect(got.filter((r) => r.fast !== r.ref).map((r) => JSON.stringify(all[r.i]))).toEqual([]);
      // both answers occur, so the comparison means something
      expect(got.some((r) => r.ref) && got.some((r) => !r.ref)).toBe(true);
    }));
});
