import { describe, expect, it } from 'vitest';
import { backtest, chooseMethod, hubspotAccuracy } from '../../../src/models/forecast/backtest.ts';
import { drift, holtWintersAdditive, holtWintersMultiplicative, methods, regression, seasonalNaive } from '../../../src/models/forecast/methods.ts';
import { forecastFromHistory } from '../../../src/models/forecast/revenue.ts';
import { incompleteBeta, nelderMead, normalQuantile, ols, seededRandom, studentTQuantile } from '../../../src/models/forecast/stats.ts';

const z80 = 1.2815515655446004;
const z95 = 1.959963984540054;

/** A monthly series with trend and seasonality; noise from a seeded generator. */
function synthetic(n: number, kind: 'additive' | 'multiplicative', noise: number, seed = 11): number[] {
  const season = [0.8, 0.85, 1.0, 1.05, 1.1, 1.0, 0.9, 0.85, 1.0, 1.1, 1.3, 1.5];
  const rnd = seededRandom(seed);
  return Array.from({ length: n }, (_, t) => {
    const e = noise * (rnd() - 0.5) * 2;
    return kind === 'multiplicative' ? (2000 + 20 * t) * season[t % 12] * (1 + e) : 2000 + 20 * t + 400 * (season[t % 12] - 1) * 2 + 2000 * e;
  });
}

const mape = (actual: number[], forecast: number[]) => actual.reduce((s, a, i) => s + Math.abs(a - forecast[i]) / a, 0) / actual.length;

describe('statistics helpers', () => {
  it('matches published normal and Student-t quantiles', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963984540054, 14);
    expect(normalQuantile(0.9)).toBeCloseTo(1.2815515655446004, 14);
    expect(normalQuantile(1e-10)).toBeCloseTo(-6.361340902404056, 10);
    // Tables: t(0.975; 1) = 12.706, t(0.975; 10) = 2.228, t(0.9; 23) = 1.319, t(0.975; 30) = 2.042.
    expect(studentTQuantile(0.975, 1)).toBeCloseTo(12.7062, 3);
    expect(studentTQuantile(0.975, 10)).toBeCloseTo(2.2281, 4);
    expect(studentTQuantile(0.9, 23)).toBeCloseTo(1.3195, 4);
    expect(studentTQuantile(0.975, 30)).toBeCloseTo(2.0423, 4);
    expect(studentTQuantile(0.025, 10)).toBeCloseTo(-2.2281, 4);
    expect(incompleteBeta(0.3, 2, 3)).toBeCloseTo(0.3483, 4); // I_0.3(2, 3) = 1 − (1−x)^4 − 4x(1−x)^3 = 0.3483
  });

  it('solves least squares and minimises with Nelder–Mead', () => {
    const fit = ols([[1, 0], [1, 1], [1, 2], [1, 3]], [1, 3, 5, 7.5]);
    // y = a + b x: b = Σ(x − 1.5)(y − 4.125) / Σ(x − 1.5)² = 10.75 / 5 = 2.15; a = 4.125 − 2.15 × 1.5 = 0.9.
    expect(fit.beta[0]).toBeCloseTo(0.9, 10);
    expect(fit.beta[1]).toBeCloseTo(2.15, 10);
    expect(fit.df).toBe(2);
    const r = nelderMead(([a, b]) => (1 - a) ** 2 + 100 * (b - a * a) ** 2, [-1.2, 1], { maxIter: 5000, tol: 1e-14 });
    expect(r.x[0]).toBeCloseTo(1, 3);
    expect(r.x[1]).toBeCloseTo(1, 3);
  });
});

describe('forecasting methods', () => {
  it('seasonal naive repeats the last season, with σ√(k+1) intervals (by hand)', () => {
    // m = 2; seasonal differences 12−10, 22−20, 14−12, 24−22 are all 2 → σ = 2.
    const f = seasonalNaive.fit([10, 20, 12, 22, 14, 24], 2).forecast(3);
    expect(f.map((p) => p.mean)).toEqual([14, 24, 14]);
    expect(f[0].upper80).toBeCloseTo(14 + z80 * 2, 10);
    expect(f[2].lower95).toBeCloseTo(14 - z95 * 2 * Math.SQRT2, 10);
  });

  it('drift extends the mean change (by hand)', () => {
    // slope (8 − 1) / 3 = 7/3; residuals −1/3, −4/3, 5/3 → σ² = (1 + 16 + 25) / 9 / 2 = 7/3.
    const fit = drift.fit([1, 3, 4, 8], 12);
    const [h1, h2] = fit.forecast(2);
    expect(h1.mean).toBeCloseTo(8 + 7 / 3, 10);
    expect(h2.mean).toBeCloseTo(8 + 14 / 3, 10);
    expect(fit.sigma).toBeCloseTo(Math.sqrt(7 / 3), 10);
    expect(h1.upper95 - h1.mean).toBeCloseTo(z95 * Math.sqrt(7 / 3) * Math.sqrt(1 + 1 / 3), 10);
  });

  it('regression recovers an exact trend + month series and widens its t intervals with the horizon', () => {
    const y = Array.from({ length: 30 }, (_, t) => 100 + 3 * t + [0, 5, -5, 10, 0, 0, 2, -2, 0, 0, 7, -7][t % 12]);
    const fit = regression.fit(y, 12);
    expect(fit.params.trend).toBeCloseTo(3, 8);
    const f = fit.forecast(3);
    // t = 30, 31, 32 fall in months 6, 7, 8 of the cycle (effects 2, −2, 0).
    expect(f.map((p) => p.mean)).toEqual([100 + 90 + 2, 100 + 93 - 2, 100 + 96 + 0].map((v) => expect.closeTo(v, 6)));
    const noisy = y.map((v, i) => v + (i % 2 ? 1.5 : -1.5));
    const g = regression.fit(noisy, 12).forecast(24);
    expect(g[23].upper95 - g[23].lower95).toBeGreaterThan(g[0].upper95 - g[0].lower95);
  });

  it('Holt-Winters additive and multiplicative recover a synthetic seasonal series', () => {
    // 48 months, fit on 36, score the last 12.
    const add = synthetic(48, 'additive', 0.01);
    const mul = synthetic(48, 'multiplicative', 0.01);
    const hwa = holtWintersAdditive.fit(add.slice(0, 36), 12).forecast(12);
    const hwm = holtWintersMultiplicative.fit(mul.slice(0, 36), 12).forecast(12);
    expect(mape(add.slice(36), hwa.map((p) => p.mean))).toBeLessThan(0.02);
    expect(mape(mul.slice(36), hwm.map((p) => p.mean))).toBeLessThan(0.02);
    // Intervals nest and hold most of the holdout.
    for (const p of [...hwa, ...hwm]) expect(p.lower95 <= p.lower80 && p.lower80 <= p.mean && p.mean <= p.upper80 && p.upper80 <= p.upper95).toBe(true);
    const inside = (ys: number[], fc: typeof hwa) => fc.filter((p, i) => ys[i] >= p.lower95 && ys[i] <= p.upper95).length;
    expect(inside(add.slice(36), hwa)).toBeGreaterThanOrEqual(10);
    expect(inside(mul.slice(36), hwm)).toBeGreaterThanOrEqual(10);
    // Multiplicative seasonality with a strong trend: the multiplicative method beats seasonal naive by far.
    const naive = seasonalNaive.fit(mul.slice(0, 36), 12).forecast(12);
    expect(mape(mul.slice(36), hwm.map((p) => p.mean))).toBeLessThan(mape(mul.slice(36), naive.map((p) => p.mean)) / 3);
    expect(holtWintersMultiplicative.unsuitable!([1, 0, 2], 12)).toMatch(/above zero/);
  });
});

describe('rolling-origin backtest', () => {
  it('scores seasonal naive one step ahead (by hand)', () => {
    // m = 2, origins 3, 4, 5: forecasts y[1] = 20, y[2] = 12, y[3] = 22 against 22, 14, 24 → errors 2, 2, 2.
    // MAPE = (2/22 + 2/14 + 2/24) / 3 = 0.105700; accuracy = 1 − the same = 0.894300.
    const [s] = backtest([10, 20, 12, 22, 14, 24], ['seasonal_naive'], { period: 2, horizon: 1, minTrain: 3 });
    expect(s.points).toEqual([
      { origin: 3, h: 1, actual: 22, forecast: 20 },
      { origin: 4, h: 1, actual: 14, forecast: 12 },
      { origin: 5, h: 1, actual: 24, forecast: 22 },
    ]);
    expect(s.mae).toBe(2);
    expect(s.rmse).toBe(2);
    expect(s.mape).toBeCloseTo((2 / 22 + 2 / 14 + 2 / 24) / 3, 12);
    expect(s.accuracy).toBeCloseTo(1 - (2 / 22 + 2 / 14 + 2 / 24) / 3, 12);
    expect(s.origins).toBe(3);
  });

  it('scores drift two steps ahead where actuals exist (by hand) and picks the lower MAPE', () => {
    // Origin 3 (train 1, 3, 4): slope 1.5 → 5.5, 7 against 8, 9. Origin 4 (train 1, 3, 4, 8): slope 7/3 → 10.333 against 9.
    // APE 2.5/8, 2/9, (4/3)/9 → MAPE 0.227623; MAE (2.5 + 2 + 4/3) / 3 = 1.944444; RMSE √((6.25 + 4 + 16/9) / 3) = 2.002313.
    const scores = backtest([1, 3, 4, 8, 9], ['drift', 'seasonal_naive'], { period: 2, horizon: 2, minTrain: 3 });
    const d = scores[0];
    expect(d.points.map((p) => [p.origin, p.h, p.actual])).toEqual([[3, 1, 8], [3, 2, 9], [4, 1, 9]]);
    expect(d.points[2].forecast).toBeCloseTo(8 + 7 / 3, 12);
    expect(d.mape).toBeCloseTo((2.5 / 8 + 2 / 9 + 4 / 3 / 9) / 3, 12);
    expect(d.mae).toBeCloseTo((2.5 + 2 + 4 / 3) / 3, 12);
    expect(d.rmse).toBeCloseTo(Math.sqrt((6.25 + 4 + 16 / 9) / 3), 12);
    // Seasonal naive (m = 2) on the same pairs: 3 → y[1] = 3, y[2] = 4 against 8, 9; 4 → y[2] = 4 against 9: far worse.
    expect(scores[1].mape).toBeCloseTo((5 / 8 + 5 / 9 + 5 / 9) / 3, 12);
    expect(chooseMethod(scores)?.method).toBe('drift');
  });

  it('explains why a method cannot be backtested', () => {
    const scores = backtest(Array.from({ length: 20 }, (_, i) => 100 + i), ['holt_winters_additive', 'drift'], { period: 12 });
    expect(scores[0].error).toMatch(/needs at least 26 months of history \(have 19\)/);
    expect(scores[1].error).toBeUndefined();
  });

  it('computes HubSpot accuracy', () => {
    expect(hubspotAccuracy(100, 130)).toBeCloseTo(0.7, 12);
    expect(hubspotAccuracy(100, 250)).toBe(0);
    expect(hubspotAccuracy(0, 10)).toBeNull();
  });
});

describe('revenue forecast from a history', () => {
  it('chooses a method by backtest on a seasonal series and forecasts with nested intervals', () => {
    const y = synthetic(40, 'multiplicative', 0.01, 5);
    const history = y.map((v, i) => {
      const d = new Date(Date.UTC(2023, i, 1)).toISOString().slice(0, 10);
      return { month: d, orders_revenue: v, deals_revenue: 0, revenue: v };
    });
    const f = forecastFromHistory(history, { asOf: '2026-05-10', horizon: 6, method: 'auto', sources: ['orders'], backtestHorizon: 3, backtestOrigins: 12 });
    expect(f.firstForecastMonth).toBe('2026-05-01');
    expect(f.forecast.map((p) => p.period)).toEqual(['2026-05-01', '2026-06-01', '2026-07-01', '2026-08-01', '2026-09-01', '2026-10-01']);
    expect(['holt_winters_multiplicative', 'holt_winters_additive', 'regression']).toContain(f.method);
    expect(f.chosen!.mape).toBeLessThan(0.03);
    expect(f.backtest.find((b) => b.method === 'seasonal_naive')!.mape).toBeGreaterThan(f.chosen!.mape!);
    expect(f.notes.join(' ')).toMatch(/rolling-origin backtest \(12 origins, steps 1–3\)/);
    expect(() => forecastFromHistory(history.slice(0, 2), { asOf: '2023-03-05', horizon: 6, method: 'auto', sources: ['orders'], backtestHorizon: 3, backtestOrigins: 12 })).toThrow(/too little revenue history/);
    expect(() => forecastFromHistory(history.slice(0, 10), { asOf: '2023-11-05', horizon: 6, method: 'holt_winters_additive', sources: ['orders'], backtestHorizon: 3, backtestOrigins: 12 })).toThrow(/method holt_winters_additive needs at least 26 months/);
    expect(Object.keys(methods)).toHaveLength(5);
  });

  it('cuts a band that reaches below zero at zero and says so', () => {
    // Small, noisy monthly revenue: the 95 % band of a drift forecast goes below zero.
    const y = [120, 10, 150, 5, 90, 20, 140, 0, 100, 15, 130, 8];
    const history = y.map((v, i) => ({ month: new Date(Date.UTC(2025, i, 1)).toISOString().slice(0, 10), orders_revenue: v, deals_revenue: 0, revenue: v }));
    const f = forecastFromHistory(history, { asOf: '2026-01-15', horizon: 6, method: 'drift', sources: ['orders'], backtestHorizon: 3, backtestOrigins: 6 });
    const values = f.forecast.flatMap((pt) => [pt.mean, pt.lower80, pt.upper80, pt.lower95, pt.upper95]);
    expect(Math.min(...values)).toBe(0);
    expect(f.forecast.every((pt) => pt.lower95 <= pt.lower80 && pt.lower80 <= pt.mean && pt.mean <= pt.upper80 && pt.upper80 <= pt.upper95)).toBe(true);
    expect(f.notes.join(' ')).toMatch(/forecast values? below zero .* shown as 0: revenue cannot be negative/);
  });
});
