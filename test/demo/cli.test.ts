import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { tempDir } from '../helpers.ts';

const { dir, cleanup } = tempDir();
afterAll(() => cleanup());

/** Runs `crm …` in-process and captures what it prints. */
async function crm(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((stdout += String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => ((stderr += String(s)), true));
  try {
    const code = await main(['node', 'crm', ...args]);
    return { code, stdout, stderr };
  } finally {
    vi.restoreAllMocks();
  }
}

afterEach(() => vi.restoreAllMocks());

describe('crm generate', () => {
  const out = join(dir, 'export');

  it('writes the export and prints one summary row per file', async () => {
    const r = await crm('generate', '--customers', '100', '--seed', '3', '--out', out, '--format', 'json');
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout) as Array<{ file: string; entity: string; rows: number; bad_rows: number; pipeline: string }>;
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    expect(rows.map((x) => x.file).sort()).toEqual(Object.keys(manifest.files).sort());
    const orders = rows.find((x) => x.file === 'shop/orders.csv')!;
    expect(orders).toMatchObject({ entity: 'orders', rows: manifest.files['shop/orders.csv'].rows, pipeline: 'pipelines/demo/orders.json' });
    expect(manifest).toMatchObject({ seed: 3, customers: 100, exportDate: '2026-10-31' });
    expect(r.stderr).toContain('generated 100 customers');
  });

  it('refuses to overwrite an export (exit 3) until --force', async () => {
    const before = readFileSync(join(out, 'manifest.json'), 'utf8');
    const refused = await crm('generate', '--customers', '100', '--seed', '4', '--out', out);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/not empty.*--force/);
    expect(readFileSync(join(out, 'manifest.json'), 'utf8')).toBe(before);
    const forced = await crm('generate', '--customers', '100', '--seed', '4', '--out', out, '--force', '--export-date', '2025-12-31');
    expect(forced.code).toBe(0);
    expect(JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'))).toMatchObject({ seed: 4, exportDate: '2025-12-31', observationEnd: '2025-12-31T00:00:00Z' });
  });

  it('rejects bad flags with exit code 2 and writes nothing', async () => {
    const other = join(dir, 'other');
    for (const args of [
      ['--customers', '50'],
      ['--customers', '2000000'],
      ['--customers', 'many'],
      ['--seed', '-1'],
      ['--export-date', '2026-02-30'],
      ['--format', 'xml'],
    ]) {
      const r = await crm('generate', '--out', other, ...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).not.toBe('');
    }
    expect(existsSync(other)).toBe(false);
  });

  it('writes to $CRM_DEMO_DIR when --out is not given', async () => {
    const envDir = join(dir, 'from-env');
    const saved = process.env.CRM_DEMO_DIR;
    process.env.CRM_DEMO_DIR = envDir;
    try {
      const r = await crm('generate', '--customers', '100');
      expect(r.code).toBe(0);
      expect(existsSync(join(envDir, 'manifest.json'))).toBe(true);
    } finally {
      if (saved === undefined) delete process.env.CRM_DEMO_DIR;
      else process.env.CRM_DEMO_DIR = saved;
    }
  });
});
