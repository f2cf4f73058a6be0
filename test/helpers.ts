import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Warehouse } from '../src/warehouse/index.ts';

/** A fresh warehouse file in a temp dir, removed afterwards. */
export async function withWarehouse<T>(fn: (wh: Warehouse, dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'crm-test-'));
  const wh = await Warehouse.open(join(dir, 'crm.duckdb'));
  try {
    return await fn(wh, dir);
  } finally {
    await wh.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A temp dir for tests that manage their own warehouse. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'crm-test-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
