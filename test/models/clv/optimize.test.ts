import { describe, expect, it } from 'vitest';
import { fitPositive } from '../../../src/models/clv/numeric/fit.ts';
import { hessianFromGradient, invertSpd, lbfgs, minimise, nelderMead, numericGradient, standardErrors } from '../../../src/models/clv/numeric/optimize.ts';

const rosenbrock = (x: Float64Array, g: Float64Array) => {
  const [a, b] = x;
  g[0] = -2 * (1 - a) - 400 * a * (b - a * a);
  g[1] = 200 * (b - a * a);
  return (1 - a) ** 2 + 100 * (b - a * a) ** 2;
};

describe('L-BFGS', () => {
  it('finds the Rosenbrock minimum from the classic start', () => {
    const r = lbfgs(rosenbrock, Float64Array.of(-1.2, 1));
    expect(r.converged).toBe(true);
    expect(r.x[0]).toBeCloseTo(1, 6);
    expect(r.x[1]).toBeCloseTo(1, 6);
    expect(r.iterations).toBeLessThan(100);
  });
  it('minimises a 4-d quadratic in a handful of iterations', () => {
    const c = [1, -2, 3, 0.5];
    const w = [1, 10, 100, 1000];
    const r = lbfgs((x, g) => {
      let f = 0;
      for (let i = 0; i < 4; i++) {
        f += w[i] * (x[i] - c[i]) ** 2;
        g[i] = 2 * w[i] * (x[i] - c[i]);
      }
      return f;
    }, new Float64Array(4));
    expect(r.converged).toBe(true);
    for (let i = 0; i < 4; i++) expect(r.x[i]).toBeCloseTo(c[i], 7);
  });
  it('reports a non-finite start instead of looping', () => {
    const r = lbfgs(() => NaN, Float64Array.of(0));
    expect(r.converged).toBe(false);
    expect(r.message).toMatch(/not finite/);
  });
  it('treats +Infinity outside the domain as worse and stays inside', () => {
    // minimum of (x−2)² on x > 1.5 is at 2; the objective is undefined below 1.5
    const r = lbfgs((x, g) => {
      if (x[0] <= 1.5) return Infinity;
      g[0] = 2 * (x[0] - 2) - 0.001 / (x[0] - 1.5);
      return (x[0] - 2) ** 2 - 0.001 * Math.log(x[0] - 1.5);
    }, Float64Array.of(10));
    expect(r.converged).toBe(true);
    expect(r.x[0]).toBeGreaterThan(1.5);
    expect(r.x[0]).toBeCloseTo(2, 2);
  });
});

describe('Nelder–Mead', () => {
  it('finds the Rosenbrock minimum without derivatives', () => {
    const r = nelderMead((x) => rosenbrock(x, new Float64Array(2)), Float64Array.of(-1.2, 1), { maxEvaluations: 5000 });
    expect(r.converged).toBe(true);
    expect(r.x[0]).toBeCloseTo(1, 4);
    expect(r.x[1]).toBeCloseTo(1, 4);
  });
  it('minimise() falls back to it and still converges on a function whose gradient lies', () => {
    // Gradient scaled wrongly by 1e-3 far from the optimum: L-BFGS alone stalls or succeeds, minimise must end at 3.
    const r = minimise((x, g) => {
      g[0] = 2 * (x[0] - 3);
      return (x[0] - 3) ** 2;
    }, Float64Array.of(-50));
    expect(r.converged).toBe(true);
    expect(r.x[0]).toBeCloseTo(3, 6);
  });
});

describe('Hessian and standard errors', () => {
  it('recovers the covariance of a Gaussian likelihood', () => {
    // −LL of n = 400 draws from N(μ, σ² = 4) in μ: n (x̄ − μ)² / (2σ²); SE(μ) = σ/√n = 0.1
    const f = numericGradient((x) => (400 * (1.3 - x[0]) ** 2) / 8);
    const H = hessianFromGradient(f, Float64Array.of(1.3));
    expect(H[0][0]).toBeCloseTo(100, 3);
    expect(standardErrors(H).se[0]).toBeCloseTo(0.1, 6);
  });
  it('inverts an SPD matrix and refuses an indefinite one', () => {
    const inv = invertSpd([
      [4, 2],
      [2, 3],
    ])!;
    expect(inv[0][0]).toBeCloseTo(3 / 8, 12);
    expect(inv[0][1]).toBeCloseTo(-2 / 8, 12);
    expect(inv[1][1]).toBeCloseTo(4 / 8, 12);
    expect(
      invertSpd([
        [1, 2],
        [2, 1],
      ]),
    ).toBeNull();
  });
});

describe('fitPositive', () => {
  it('fits a Poisson rate in log space with the textbook standard error', () => {
    // counts summing to 250 over 100 units: λ̂ = 2.5, SE = √(λ̂/n) = 0.158113883
    const nll = (p: Float64Array, g: Float64Array) => {
      g[0] = 100 - 250 / p[0];
      return 100 * p[0] - 250 * Math.log(p[0]);
    };
    const fit = fitPositive(['lambda'], nll, [1], { nObservations: 100, nDistinct: 100 });
    expect(fit.converged).toBe(true);
    expect(fit.params.lambda).toBeCloseTo(2.5, 8);
    expect(fit.stdErrors.lambda).toBeCloseTo(Math.sqrt(2.5 / 100), 6);
  });
  it('flags a parameter the data do not identify', () => {
    // the likelihood does not depend on mu at all: flat in that direction
    const nll = (p: Float64Array, g: Float64Array) => {
      g[0] = 100 - 250 / p[0];
      g[1] = 0;
      return 100 * p[0] - 250 * Math.log(p[0]);
    };
    const fit = fitPositive(['lambda', 'mu'], nll, [1, 1], { nObservations: 100, nDistinct: 100 });
    expect(fit.converged).toBe(false);
    expect(fit.stdErrors.mu).toBeNull();
    expect(fit.message).toMatch(/flat/);
  });
  it('flags a parameter that runs off to the boundary', () => {
    // −LL decreasing in p without bound as p → 0
    const nll = (p: Float64Array, g: Float64Array) => {
      g[0] = 1;
      return p[0];
    };
    const fit = fitPositive(['p'], nll, [1], { nObservations: 10, nDistinct: 10 });
    expect(fit.converged).toBe(false);
    expect(fit.message).toMatch(/edge of the parameter space/);
  });
});
