import { describe, expect, it } from 'vitest';
import { AliasTable, Rng } from '../../src/demo/rng.ts';

function moments(draw: () => number, n: number): { mean: number; variance: number } {
  let s = 0;
  let s2 = 0;
  for (let i = 0; i < n; i++) {
    const x = draw();
    s += x;
    s2 += x * x;
  }
  const mean = s / n;
  return { mean, variance: s2 / n - mean * mean };
}

describe('Rng', () => {
  it('is deterministic per seed and stream, and different across them', () => {
    const seq = (seed: number, stream = 0) => {
      const r = new Rng(seed, stream);
      return Array.from({ length: 5 }, () => r.u32());
    };
    expect(seq(42)).toEqual(seq(42));
    expect(seq(42)).not.toEqual(seq(43));
    expect(seq(42, 0)).not.toEqual(seq(42, 1));
  });

  it('is xoshiro128** (reference outputs of the state 1, 2, 3, 4)', () => {
    const r = Rng.fromState(1, 2, 3, 4);
    expect([r.u32(), r.u32(), r.u32()]).toEqual([11520, 0, 5927040]);
  });

  it('draws uniforms in [0, 1) with the right mean and variance', () => {
    const r = new Rng(1);
    let min = 1;
    let max = 0;
    const m = moments(() => {
      const u = r.float();
      min = Math.min(min, u);
      max = Math.max(max, u);
      return u;
    }, 200_000);
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1);
    expect(m.mean).toBeCloseTo(0.5, 2);
    expect(m.variance).toBeCloseTo(1 / 12, 3);
  });

  it.each([
    [0.75, 3.2],
    [4, 1],
    [3.5, 50],
    [0.3, 2],
  ])('gamma(shape %d, rate %d) has mean k/θ and variance k/θ²', (k, rate) => {
    const r = new Rng(7);
    const n = 200_000;
    const m = moments(() => r.gamma(k, rate), n);
    const mean = k / rate;
    const variance = k / rate ** 2;
    expect(Math.abs(m.mean - mean)).toBeLessThan(5 * Math.sqrt(variance / n));
    expect(m.variance / variance).toBeGreaterThan(0.95);
    expect(m.variance / variance).toBeLessThan(1.05);
  });

  it('beta(a, b) has mean a/(a+b) and the right variance', () => {
    const r = new Rng(3);
    const [a, b] = [0.55, 8];
    const m = moments(() => r.beta(a, b), 200_000);
    expect(m.mean).toBeCloseTo(a / (a + b), 3);
    expect(m.variance / ((a * b) / ((a + b) ** 2 * (a + b + 1)))).toBeCloseTo(1, 1);
  });

  it.each([0.4, 5, 29, 45, 300])('poisson(%d) has mean and variance λ (both algorithms)', (lambda) => {
    const r = new Rng(11);
    const n = 100_000;
    const m = moments(() => r.poisson(lambda), n);
    expect(Math.abs(m.mean - lambda)).toBeLessThan(5 * Math.sqrt(lambda / n));
    expect(m.variance / lambda).toBeGreaterThan(0.96);
    expect(m.variance / lambda).toBeLessThan(1.04);
  });

  it('normal has mean 0 and variance 1; exponential has mean 1/rate', () => {
    const r = new Rng(5);
    const z = moments(() => r.normal(), 200_000);
    expect(z.mean).toBeCloseTo(0, 2);
    expect(z.variance).toBeCloseTo(1, 2);
    expect(moments(() => r.exp(4), 200_000).mean).toBeCloseTo(0.25, 2);
  });
});

describe('AliasTable', () => {
  it('draws each index with its weight', () => {
    const t = new AliasTable([5, 3, 2, 0]);
    const r = new Rng(9);
    const counts = [0, 0, 0, 0];
    const n = 200_000;
    for (let i = 0; i < n; i++) counts[t.sample(r)]++;
    expect(counts[0] / n).toBeCloseTo(0.5, 2);
    expect(counts[1] / n).toBeCloseTo(0.3, 2);
    expect(counts[2] / n).toBeCloseTo(0.2, 2);
    expect(counts[3]).toBe(0);
  });
});
