import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateDemo } from '../../../src/demo/index.ts';
import { runPipelineFile } from '../../../src/ingest/index.ts';
import { runClv } from '../../../src/models/clv/run.ts';
import { Warehouse } from '../../../src/warehouse/index.ts';
import { tempDir } from '../../helpers.ts';

const repo = join(import.meta.dirname, '../../..');

/** (θ̂ − θ)ᵀ Σ⁻¹ (θ̂ − θ) with Σ the fit's asymptotic covariance: χ² with k degrees of freedom under the model. */
function mahalanobis(estimate: number[], truth: number[], covariance: number[][]): number {
  const d = estimate.map((v, i) => v - truth[i]);
  // solve Σ y = d by Gaussian elimination (k ≤ 4)
  const n = d.length;
  const a = covariance.map((row, i) => [...row, d[i]]);
  for (let c = 0; c < n; c++) {
    for (let r = c + 1; r < n; r++) {
      const f = a[r][c] / a[c][c];
      for (let k = c; k <= n; k++) a[r][k] -= f * a[c][k];
    }
  }
  const y = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = a[r][n];
    for (let k = r + 1; k < n; k++) s -= a[r][k] * y[k];
    y[r] = s / a[r][r];
  }
  return d.reduce((s, v, i) => s + v * y[i], 0);
}

describe('parameter recovery on the demo generator (crm generate, 100,000 customers)', () => {
  it('recovers the BG/NBD and Gamma-Gamma parameters of manifest.json within sampling error', { timeout: 600_000 }, async () => {
    const tmp = tempDir();
    const previous = process.env.CRM_DEMO_DIR;
    const wh = await Warehouse.open(join(tmp.dir, 'crm.duckdb'));
    try {
      const out = join(tmp.dir, 'export');
      await generateDemo({ customers: 100_000, seed: 7, out, exportDate: '2026-10-31' });
      const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
      // The manifest says in which unit the rates are: alpha per week.
      expect(manifest.parameters.units['bgnbd.alpha']).toMatch(/^weeks/);
      process.env.CRM_DEMO_DIR = out;
      for (const p of ['campaigns', 'shop-customers', 'orders']) {
        const r = await runPipelineFile(wh, join(repo, 'pipelines/demo', `${p}.json`));
        expect(r.status, `${p}: ${r.error}`).toBe('succeeded');
      }
      // The generator draws every transaction at its own time (several can fall on one day) and its
      // Gamma-Gamma values before returns: count orders, value them gross. History ends at 00:00 of the export date.
      const fit = await runClv(wh, { calibrationEnd: '2026-10-30', unit: 'week', granularity: 'order', spendValue: 'gross', save: false });
      expect(fit.status).toBe('succeeded');
      const truth = manifest.parameters as { bgnbd: Record<'r' | 'alpha' | 'a' | 'b', number>; gammaGamma: Record<'p' | 'q' | 'gamma', number> };
      const bg = ['r', 'alpha', 'a', 'b'] as const;
      const gg = ['p', 'q', 'gamma'] as const;
      for (const k of bg) expect(Math.abs(fit.bgnbd.params[k] - truth.bgnbd[k]) / fit.bgnbd.stdErrors[k]!, `BG/NBD ${k}`).toBeLessThan(3);
      for (const k of gg) expect(Math.abs(fit.gammaGamma!.params[k] - truth.gammaGamma[k]) / fit.gammaGamma!.stdErrors[k]!, `Gamma-Gamma ${k}`).toBeLessThan(3);
      // Jointly (the estimates are correlated): χ²(4) and χ²(3) below their 99% points.
      expect(mahalanobis(bg.map((k) => fit.bgnbd.params[k]), bg.map((k) => truth.bgnbd[k]), fit.bgnbd.covariance!)).toBeLessThan(13.28);
      expect(mahalanobis(gg.map((k) => fit.gammaGamma!.params[k]), gg.map((k) => truth.gammaGamma[k]), fit.gammaGamma!.covariance!)).toBeLessThan(11.34);
    } finally {
      if (previous === undefined) delete process.env.CRM_DEMO_DIR;
      else process.env.CRM_DEMO_DIR = previous;
      await wh.close();
      tmp.cleanup();
    }
  });
});
