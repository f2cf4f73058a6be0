import { vi } from 'vitest';
import { main } from '../../src/cli/main.ts';

/**
 * Runs the CLI in-process with CRM_DB pointing at `db` and returns the exit code and what it printed
 * (stdout and stderr captured separately). The warehouse must not be open elsewhere in the test.
 */
export async function crm(db: string, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => (err.push(String(s)), true));
  const previous = process.env.CRM_DB;
  process.env.CRM_DB = db;
  try {
    const code = await main(['node', 'crm', ...args]);
    return { code, out: out.join(''), err: err.join('') };
  } finally {
    o.mockRestore();
    e.mockRestore();
    if (previous === undefined) delete process.env.CRM_DB;
    else process.env.CRM_DB = previous;
  }
}
