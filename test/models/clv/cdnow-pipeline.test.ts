import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../helpers.ts';
import { cdnowSample } from './fixtures.ts';

const repo = join(import.meta.dirname, '../../..');

/** Runs the CLI as a user would, in the repository, against a fresh warehouse. */
function crm(args: string[], db: string): { stdout: string; status: number } {
  try {
    const stdout = execFileSync(process.execPath, ['bin/crm.js', ...args], {
      cwd: repo,
      env: { ...process.env, CRM_DB: db, CRM_CDNOW_FILE: cdnowSample, TZ: 'UTC' },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return { stdout, status: 0 };
  } catch (e) {
    const err = e as { stdout: string; stderr: string; status: number };
    throw new Error(`crm ${args.join(' ')} exited ${err.status}: ${err.stderr}\n${err.stdout}`);
  }
}

describe.runIf(existsSync(cdnowSample))('end to end: crm ingest pipelines/examples/cdnow.json → crm clv fit', () => {
  it('loads the raw CDNOW log as orders and prints the published BG/NBD and Gamma-Gamma parameters', { timeout: 120_000 }, () => {
    const tmp = tempDir();
    try {
      const db = join(tmp.dir, 'crm.duckdb');
      const ingest = crm(['ingest', 'pipelines/examples/cdnow.json'], db);
      expect(ingest.stdout).toMatch(/cdnow\s+orders\s+succeeded\s+6919\s+6919/);
      // The line number is the order id: loading the same log again changes nothing.
      expect(crm(['ingest', 'pipelines/examples/cdnow.json'], db).stdout).toMatch(/cdnow\s+orders\s+succeeded\s+6919\s+0\s+0\s+6919\s/);
      const fit = JSON.parse(crm(['clv', 'fit', '--calibration-end', '1997-09-30', '--unit', 'week', '--json'], db).stdout);
      expect(fit.customers).toBe(2357);
      expect([fit.bgnbd.r, fit.bgnbd.alpha, fit.bgnbd.a, fit.bgnbd.b].map((v: number) => v.toFixed(3))).toEqual(['0.243', '4.414', '0.793', '2.426']);
      expect(fit.bgnbd.logLik.toFixed(1)).toBe('-9582.4');
      expect([fit.gammaGamma.p, fit.gammaGamma.q, fit.gammaGamma.gamma].map((v: number) => v.toFixed(2))).toEqual(['6.25', '3.74', '15.44']);
      expect(fit.saved).toBe(true);
    } finally {
      tmp.cleanup();
    }
  });
});
