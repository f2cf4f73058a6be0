import { describe, expect, it } from 'vitest';
import {
  bgnbdLogLikelihood,
  bgnbdNegLogLik,
  bgnbdNegLogLikHessian,
  compressTriples,
  conditionalExpectedPurchases,
  expectedPurchases,
  fitBgNbd,
  pAlive,
  probPurchases,
} from '../../../src/models/clv/bgnbd.ts';
import { expectedMeanSpend, fitGammaGamma } from '../../../src/models/clv/gamma-gamma.ts';
import { customerLifetimeValue } from '../../../src/models/clv/predict.ts';
import { paperSpend, paperSummary, paperTriples, reference } from './reference.ts';

const published = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

describe('BG/NBD on the CDNOW sample (Fader, Hardie & Lee 2005)', () => {
  const data = paperTriples();
  const fit = fitBgNbd(data);

  it('reproduces the published parameters and log-likelihood', () => {
    expect(fit.converged).toBe(true);
    expect(fit.params.r.toFixed(3)).toBe('0.243');
    expect(fit.params.alpha.toFixed(3)).toBe('4.414');
    expect(fit.params.a.toFixed(3)).toBe('0.793');
    expect(fit.params.b.toFixed(3)).toBe('2.426');
    expect(fit.logLikelihood.toFixed(1)).toBe('-9582.4');
    // CLVTools / BTYD print −9582.429; lifetimes' optimum in paper units −9582.4256
    expect(fit.logLikelihood).toBeCloseTo(reference.bgnbd_on_paper_summary_file.log_likelihood_weeks_paper_eq6, 3);
  });

  it('agrees with lifetimes to 1e-5 relative, standard errors included', () => {
    const ref = reference.bgnbd_on_paper_summary_file;
    for (const k of ['r', 'alpha', 'a', 'b'] as const) {
      expect(rel(fit.params[k], ref[k])).toBeLessThan(1e-5);
      expect(rel(fit.stdErrors[k]!, ref.se[k])).toBeLessThan(1e-4);
    }
  });

  it('compresses 2,357 customers to distinct triples without changing the likelihood', () => {
    expect(data.x.length).toBeLessThan(1100);
    const oneByOne = {
      x: Float64Array.from(paperSummary, (r) => r.x),
      tx: Float64Array.from(paperSummary, (r) => r.t_x),
      T: Float64Array.from(paperSummary, (r) => r.T),
      weight: new Float64Array(paperSummary.length).fill(1),
    };
    expect(bgnbdLogLikelihood(published, data)).toBeCloseTo(bgnbdLogLikelihood(published, oneByOne), 8);
  });

  it('gives the published log-likelihood at the published parameters', () => {
    expect(bgnbdLogLikelihood(published, data)).toBeCloseTo(-9582.4268, 3);
  });

  it('has an analytic gradient that matches finite differences', () => {
    const f = bgnbdNegLogLik(data);
    const p = Float64Array.of(0.3, 5, 0.9, 2.1);
    const g = new Float64Array(4);
    f(p, g);
    for (let i = 0; i < 4; i++) {
      const h = 1e-6 * p[i];
      const up = Float64Array.from(p);
      const down = Float64Array.from(p);
      up[i] += h;
      down[i] -= h;
      const numeric = (f(up, new Float64Array(4)) - f(down, new Float64Array(4))) / (2 * h);
      expect(rel(g[i], numeric)).toBeLessThan(1e-6);
    }
  });

  it('reproduces the published E[X(t)] of a new customer (Hardie spreadsheet, at the fitted parameters)', () => {
    const ts = [0.1429, 1, 3, 31.8571, 32, 78];
    // lifetimes prints 1.858 for t = 78 at its fit; the spreadsheet value is 1.8576 (rounded inputs)
    const expected = [0.0078, 0.0532, 0.1506, 1.0405, 1.0437, 1.8576];
    ts.forEach((t, i) => expect(Math.abs(expectedPurchases(fit.params, t) - expected[i])).toBeLessThan(5e-4));
  });

  it('reproduces the published P(X(t) = x) values (R BTYD)', () => {
    expect(probPurchases(published, 0, 39)).toBeCloseTo(0.5737864, 7);
    expect(rel(probPurchases(published, 10, 2), 1.07869e-7)).toBeLessThan(1e-4);
  });

  it('reproduces E[Y(39) | x = 2, tₓ = 30.43, T = 38.86] = 1.226 (Hardie spreadsheet)', () => {
    expect(conditionalExpectedPurchases(published, 39, 2, 30.43, 38.86)).toBeCloseTo(1.226, 3);
  });

  it('reproduces lifetimes per customer for IDs 1–10 (relative 1e-4)', () => {
    const gg = fitGammaGamma(paperSpend()).params;
    for (const c of reference.customers_1_to_10) {
      const row = paperSummary.find((r) => r.ID === c.id)!;
      expect(rel(pAlive(fit.params, row.x, row.t_x, row.T), c.p_alive)).toBeLessThan(1e-4);
      expect(rel(conditionalExpectedPurchases(fit.params, 39, row.x, row.t_x, row.T), c.expected_purchases_next_39_weeks)).toBeLessThan(1e-4);
      const spend = expectedMeanSpend(gg, row.x, row.zbar);
      expect(rel(spend, c.expected_avg_transaction_value)).toBeLessThan(1e-4);
      const clv = customerLifetimeValue(fit.params, spend, { x: row.x, tx: row.t_x, T: row.T }, { monthLength: 4.345, horizonMonths: 12, discountRate: 0.01 });
      expect(rel(clv, c['clv_12_months_disc_0.01_per_month_freqW'])).toBeLessThan(1e-4);
    }
  });
});

describe('BG/NBD numerics on extreme customers', () => {
  it('stays finite at x = 200 and beyond (log-space likelihood, Euler-transformed 2F1)', () => {
    for (const x of [200, 500, 2000]) {
      const d = compressTriples([{ x, tx: 38, T: 38.86 }, { x: 0, tx: 0, T: 38.86 }]);
      expect(Number.isFinite(bgnbdLogLikelihood(published, d))).toBe(true);
      const pa = pAlive(published, x, 38, 38.86);
      expect(pa).toBeGreaterThanOrEqual(0);
      expect(pa).toBeLessThanOrEqual(1);
      expect(Number.isFinite(conditionalExpectedPurchases(published, 52, x, 38, 38.86))).toBe(true);
    }
    // mpmath at 300 digits: E[Y(52) | x = 1000, tₓ = 38.8, T = 38.86] = 855.246575985029
    expect(rel(conditionalExpectedPurchases(published, 52, 1000, 38.8, 38.86), 855.246575985029)).toBeLessThan(1e-10);
  });
  it('gives P(alive) = 1 for one-time buyers and close to 0 for a frequent buyer long gone', () => {
    expect(pAlive(published, 0, 0, 38)).toBe(1);
    expect(pAlive(published, 30, 2, 300)).toBeLessThan(1e-10);
  });
});

describe('BG/NBD analytic Hessian', () => {
  const data = paperTriples();
  it.each([
    [0.2426, 4.4136, 0.7930, 2.4259],
    [0.5, 3, 1.5, 0.7],
    [2, 20, 0.1, 9],
  ])('matches central differences of the gradient at (%d, %d, %d, %d), −LL bit for bit', async (...p) => {
    const { hessianFromGradient } = await import('../../../src/models/clv/numeric/optimize.ts');
    const at = Float64Array.from(p);
    const f = bgnbdNegLogLik(data);
    const numeric = hessianFromGradient(f, at);
    const { value, hessian } = bgnbdNegLogLikHessian(data)(at);
    expect(value).toBe(f(at, new Float64Array(4)));
    for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) expect(rel(hessian[i][j], numeric[i][j]), `H[${i}][${j}]`).toBeLessThan(1e-7);
  });
});

describe('BG/NBD on large inputs (subsample warm start + Newton polish)', () => {
  it('reaches the same optimum as a plain L-BFGS fit on 150,000 distinct triples', async () => {
    const { rng, gamma } = await import('./simulate.ts');
    const { fitPositive } = await import('../../../src/models/clv/numeric/fit.ts');
    const { bgnbdParamNames } = await import('../../../src/models/clv/bgnbd.ts');
    const u = rng(5);
    const rows: { x: number; tx: number; T: number }[] = [];
    for (let i = 0; i < 150_000; i++) {
      const T = 10 + 50 * u();
      const lambda = gamma(u, 0.5, 4);
      const g1 = gamma(u, 0.7, 1);
      const p = g1 / (g1 + gamma(u, 3, 1));
      let t = 0;
      let x = 0;
      let tx = 0;
      for (;;) {
        t += -Math.log(u()) / lambda;
        if (t >= T) break;
        x++;
        tx = t;
        if (u() < p) break;
      }
      rows.push({ x, tx: Math.round(tx * 1e4) / 1e4, T: Math.round(T * 1e4) / 1e4 });
    }
    const data = compressTriples(rows);
    expect(data.x.length).toBeGreaterThan(120_000);
    const warm = fitBgNbd(data);
    expect(warm.converged).toBe(true);
    expect(warm.message).toMatch(/Newton steps from a subsample fit/);
    const plain = fitPositive(bgnbdParamNames, bgnbdNegLogLik(data), [1, 5, 1, 1], { nObservations: 150_000, nDistinct: data.x.length });
    for (const k of bgnbdParamNames) expect(rel(warm.params[k], plain.params[k])).toBeLessThan(1e-4);
    expect(warm.logLikelihood).toBeCloseTo(plain.logLikelihood, 3);
    expect(warm.evaluations).toBeLessThan(plain.evaluations);
  });
});
