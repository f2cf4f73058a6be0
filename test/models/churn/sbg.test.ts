import { describe, expect, it } from 'vitest';
import { kaplanMeier } from '../../../src/models/churn/kaplan-meier.ts';
import { fitSbg, fromSurvivors, sbgDataProblem, sbgLifetime, sbgNegLogLik, sbgSurvival } from '../../../src/models/churn/sbg.ts';

describe('sBG (Fader & Hardie 2007, "How to project customer retention")', () => {
  // Percent alive at years 0–7 of 1,000 customers per segment (their Table 1, from Berry & Linoff 2004).
  const regular = [1000, 631, 468, 382, 326, 289, 262, 241];
  const highEnd = [1000, 869, 743, 653, 593, 551, 517, 491];

  it('fits the regular segment: β = 1.182 as published; α = 0.704 (the maximum-likelihood value, see note)', () => {
    const fit = fitSbg(fromSurvivors(regular));
    expect(fit.converged).toBe(true);
    // The issue quotes α ≈ 0.688; the MLE on these seven years is 0.7041 (checked independently with
    // scipy Nelder–Mead, LL −1680.2652), which is the value Fader & Hardie report for this segment.
    expect(fit.params.alpha.toFixed(3)).toBe('0.704');
    expect(fit.params.beta.toFixed(3)).toBe('1.182');
    expect(fit.logLikelihood).toBeCloseTo(-1680.2652, 3);
    expect(fit.stdErrors.alpha).toBeGreaterThan(0);
  });

  it('fits the high-end segment: α = 0.668, β = 3.806', () => {
    const fit = fitSbg(fromSurvivors(highEnd));
    expect(fit.params.alpha.toFixed(3)).toBe('0.668');
    expect(fit.params.beta.toFixed(3)).toBe('3.806');
  });

  it('reproduces the published LL(1, 1) = −2.115 per customer for the high-end data', () => {
    // jdmaturen's sBG test, from the paper's spreadsheet: log-likelihood at α = β = 1 of the survival shares
    const nll = sbgNegLogLik(fromSurvivors(highEnd));
    expect(Math.abs(-nll(Float64Array.of(1, 1), new Float64Array(2)) / 1000 - -2.115)).toBeLessThan(2.115e-3); // rtol 1e-3, as that test
  });

  it('projects survival and lifetime summaries', () => {
    const p = { alpha: 0.704, beta: 1.182 };
    const s = sbgSurvival(p, 12);
    expect(s[0]).toBe(1);
    // S(1) = β/(α+β)
    expect(s[1]).toBeCloseTo(1.182 / 1.886, 12);
    expect(s.map((v) => Math.round(v * 1000))).toEqual([1000, 627, 474, 388, 332, 292, 262, 239, 220, 204, 191, 180, 170]);
    const life = sbgLifetime(p, 0.1);
    expect(life.mean).toBeNull(); // α < 1: the mean lifetime is infinite
    expect(life.median).toBe(2);
    const finite = sbgLifetime({ alpha: 3, beta: 6 }, 0);
    expect(finite.mean).toBeCloseTo(4, 12); // (α + β − 1)/(α − 1)
    expect(finite.discountedExpectedLifetime).toBeCloseTo(4, 6); // undiscounted: Σ_{t≥0} S(t) = E[T]
  });

  it('refuses data without churn', () => {
    expect(sbgDataProblem({ period: [1, 2], churned: [0, 0], censored: [0, 10] })).toMatch(/no subscription has churned/);
    expect(sbgDataProblem({ period: [0], churned: [0], censored: [5] })).toMatch(/completed a month/);
  });
});

describe('Kaplan–Meier', () => {
  it('matches a hand-worked example with censoring and Greenwood errors', () => {
    const km = kaplanMeier([
      { month: 0, churned: 0, censored: 1 },
      { month: 1, churned: 2, censored: 0 },
      { month: 3, churned: 2, censored: 0 },
      { month: 4, churned: 0, censored: 1 },
      { month: 5, churned: 0, censored: 1 },
      { month: 6, churned: 0, censored: 1 },
    ]);
    expect(km.map((p) => p.atRisk)).toEqual([8, 7, 5, 5, 3, 2, 1]);
    expect(km[1].survival).toBeCloseTo(5 / 7, 12);
    expect(km[3].survival).toBeCloseTo(3 / 7, 12);
    expect(km[6].survival).toBeCloseTo(3 / 7, 12);
    expect(km[1].stdError).toBeCloseTo((5 / 7) * Math.sqrt(2 / 35), 12);
    expect(km[3].stdError).toBeCloseTo((3 / 7) * Math.sqrt(2 / 35 + 2 / 15), 12);
    expect(km[3].ciLow!).toBeLessThan(3 / 7);
    expect(km[3].ciHigh!).toBeGreaterThan(3 / 7);
    expect(km[3].retentionRate).toBeCloseTo(3 / 5, 12);
  });
  it('reaches zero when everyone churns, without NaN', () => {
    const km = kaplanMeier([{ month: 1, churned: 3, censored: 0 }]);
    expect(km[1]).toMatchObject({ survival: 0, stdError: null, ciLow: 0, ciHigh: 0 });
  });
});
