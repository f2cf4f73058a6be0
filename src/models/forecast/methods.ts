import { nelderMead, normalQuantile, normalSampler, ols, quantileOf, seededRandom, studentTQuantile } from './stats.ts';

/**
 * Forecasting methods for a regular series (monthly revenue: period 12). Each fits on y[0..n) and
 * forecasts h steps with 80 % and 95 % prediction intervals. Pure functions, no I/O.
 *
 * - seasonal_naive: ŷ(T+h) = y(T+h−m(k+1)), k = ⌊(h−1)/m⌋; σ_h = σ·√(k+1) (Hyndman & Athanasopoulos, FPP3 §5.5).
 * - drift: last value plus the mean change; σ_h = σ·√(h(1+h/(T−1))) — for series shorter than two seasons.
 * - holt_winters_additive / holt_winters_multiplicative: level, trend and seasonal smoothing with α, β, γ
 *   chosen by minimising the one-step squared errors (Nelder–Mead); classical initial states from the
 *   first two seasons. Additive intervals from the ETS(A,A,A) variance σ²(1 + Σ_{j<h} c_j²),
 *   c_j = α + αβ·j + γ·[j mod m = 0]; multiplicative intervals by simulating 2,000 seeded paths with
 *   relative errors.
 * - regression: OLS on intercept + linear trend + month-of-period dummies; t-based prediction intervals
 *   ŷ ± t(n−p) · s · √(1 + x₀ᵀ(XᵀX)⁻¹x₀).
 */
export const methodNames = ['seasonal_naive', 'drift', 'holt_winters_additive', 'holt_winters_multiplicative', 'regression'] as const;
export type MethodName = (typeof methodNames)[number];

export interface ForecastPoint {
  /** Steps ahead, 1-based. */
  h: number;
  mean: number;
  lower80: number;
  upper80: number;
  lower95: number;
  upper95: number;
}

export interface FittedMethod {
  method: MethodName;
  params: Record<string, number>;
  /** Residual standard deviation of one-step errors (relative for the multiplicative method). */
  sigma: number;
  forecast(h: number): ForecastPoint[];
}

export interface MethodSpec {
  name: MethodName;
  /** The shortest series it can be fitted on, for a period m. */
  minLength(m: number): number;
  /** Why it cannot fit y (null when it can). */
  unsuitable?(y: number[], m: number): string | null;
  fit(y: number[], m: number): FittedMethod;
}

const z80 = normalQuantile(0.9);
const z95 = normalQuantile(0.975);

function band(h: number, mean: number, sd: number, q80 = z80, q95 = z95): ForecastPoint {
  return { h, mean, lower80: mean - q80 * sd, upper80: mean + q80 * sd, lower95: mean - q95 * sd, upper95: mean + q95 * sd };
}

export const seasonalNaive: MethodSpec = {
  name: 'seasonal_naive',
  minLength: (m) => m + 1,
  fit(y, m) {
    const n = y.length;
    const residuals = y.slice(m).map((v, i) => v - y[i]);
    const sigma = Math.sqrt(residuals.reduce((s, e) => s + e * e, 0) / residuals.length);
    return {
      method: 'seasonal_naive',
      params: {},
      sigma,
      forecast: (h) =>
        Array.from({ length: h }, (_, i) => {
          const step = i + 1;
          const k = Math.floor((step - 1) / m);
          // The step's own time is n + step − 1; the same season k + 1 seasons earlier.
          return band(step, y[n + step - 1 - m * (k + 1)], sigma * Math.sqrt(k + 1));
        }),
    };
  },
};

export const drift: MethodSpec = {
  name: 'drift',
  minLength: () => 3,
  fit(y) {
    const n = y.length;
    const slope = (y[n - 1] - y[0]) / (n - 1);
    const residuals = y.slice(1).map((v, i) => v - y[i] - slope);
    const sigma = Math.sqrt(residuals.reduce((s, e) => s + e * e, 0) / (residuals.length - 1));
    return {
      method: 'drift',
      params: { slope },
      sigma,
      forecast: (h) => Array.from({ length: h }, (_, i) => band(i + 1, y[n - 1] + (i + 1) * slope, sigma * Math.sqrt((i + 1) * (1 + (i + 1) / (n - 1))))),
    };
  },
};

interface HwState {
  level: number;
  trend: number;
  season: number[]; // the last m seasonal indices, oldest first
  sse: number;
  errors: number[];
}

const logistic = (v: number) => 1 / (1 + Math.exp(-v));
const logit = (p: number) => Math.log(p / (1 - p));

function hwRun(y: number[], m: number, alpha: number, beta: number, gamma: number, multiplicative: boolean): HwState {
  const first = y.slice(0, m);
  const second = y.slice(m, 2 * m);
  const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
  // Classical start: a line through the means of the first two seasons (the first season's mean sits at
  // its middle, t = (m − 1) / 2); seasonal indices are the first season's deviations from that line.
  let trend = (mean(second) - mean(first)) / m;
  const line = (t: number) => mean(first) + trend * (t - (m - 1) / 2);
  const season = first.map((v, t) => (multiplicative ? v / line(t) : v - line(t)));
  let level = line(m - 1);
  let sse = 0;
  const errors: number[] = [];
  for (let t = m; t < y.length; t++) {
    const s = season[t - m];
    const yhat = multiplicative ? (level + trend) * s : level + trend + s;
    const e = multiplicative ? (y[t] - yhat) / yhat : y[t] - yhat;
    errors.push(e);
    sse += e * e;
    const prevLevel = level;
    const prevTrend = trend;
    level = multiplicative ? (alpha * y[t]) / s + (1 - alpha) * (level + trend) : alpha * (y[t] - s) + (1 - alpha) * (level + trend);
    trend = beta * (level - prevLevel) + (1 - beta) * prevTrend;
    season.push(multiplicative ? (gamma * y[t]) / (prevLevel + prevTrend) + (1 - gamma) * s : gamma * (y[t] - prevLevel - prevTrend) + (1 - gamma) * s);
  }
  return { level, trend, season: season.slice(-m), sse, errors };
}

function fitHoltWinters(y: number[], m: number, multiplicative: boolean): FittedMethod {
  // α, β*, γ in (0, 1) through a logistic transform; γ ≤ 1 − α enforced by a penalty.
  const objective = (v: number[]) => {
    const [a, b, g] = v.map(logistic);
    if (g > 1 - a) return 1e300;
    const r = hwRun(y, m, a, b, g, multiplicative);
    return Number.isFinite(r.sse) ? r.sse : 1e300;
  };
  let best = { x: [logit(0.3), logit(0.1), logit(0.1)], fx: Infinity };
  for (const start of [
    [0.3, 0.1, 0.1],
    [0.5, 0.05, 0.2],
    [0.1, 0.01, 0.05],
    [0.8, 0.2, 0.1],
  ]) {
    const r = nelderMead(objective, start.map(logit), { maxIter: 1500 });
    if (r.fx < best.fx) best = r;
  }
  const [alpha, beta, gamma] = best.x.map(logistic);
  const state = hwRun(y, m, alpha, beta, gamma, multiplicative);
  const nErr = state.errors.length;
  const sigma = Math.sqrt(state.sse / Math.max(1, nErr - 3));
  const name: MethodName = multiplicative ? 'holt_winters_multiplicative' : 'holt_winters_additive';
  const point = (step: number) => {
    const s = state.season[(step - 1) % m];
    return multiplicative ? (state.level + step * state.trend) * s : state.level + step * state.trend + s;
  };
  return {
    method: name,
    params: { alpha, beta, gamma },
    sigma,
    forecast(h) {
      if (!multiplicative) {
        const betaEts = alpha * beta;
        return Array.from({ length: h }, (_, i) => {
          const step = i + 1;
          let v = 1;
          for (let j = 1; j < step; j++) {
            const c = alpha + betaEts * j + (j % m === 0 ? gamma : 0);
            v += c * c;
          }
          return band(step, point(step), sigma * Math.sqrt(v));
        });
      }
      // Multiplicative errors: simulate sample paths (seeded, so a run is reproducible).
      const paths = 2000;
      const draws: number[][] = Array.from({ length: h }, () => []);
      const normal = normalSampler(seededRandom(20240601));
      for (let p = 0; p < paths; p++) {
        let level = state.level;
        let trend = state.trend;
        const season = [...state.season];
        for (let step = 0; step < h; step++) {
          const s = season[step];
          const mu = (level + trend) * s;
          const e = sigma * normal();
          const yv = mu * (1 + e);
          draws[step].push(yv);
          const prevLevel = level;
          const prevTrend = trend;
          level = (alpha * yv) / s + (1 - alpha) * (level + trend);
          trend = beta * (level - prevLevel) + (1 - beta) * prevTrend;
          season.push((gamma * yv) / (prevLevel + prevTrend) + (1 - gamma) * s);
        }
      }
      return draws.map((d, i) => ({
        h: i + 1,
        mean: point(i + 1),
        lower80: quantileOf(d, 0.1),
        upper80: quantileOf(d, 0.9),
        lower95: quantileOf(d, 0.025),
        upper95: quantileOf(d, 0.975),
      }));
    },
  };
}

export const holtWintersAdditive: MethodSpec = {
  name: 'holt_winters_additive',
  minLength: (m) => 2 * m + 2,
  fit: (y, m) => fitHoltWinters(y, m, false),
};

export const holtWintersMultiplicative: MethodSpec = {
  name: 'holt_winters_multiplicative',
  minLength: (m) => 2 * m + 2,
  unsuitable: (y) => (y.some((v) => v <= 0) ? 'needs every month above zero' : null),
  fit: (y, m) => fitHoltWinters(y, m, true),
};

export const regression: MethodSpec = {
  name: 'regression',
  // intercept + trend + (m − 1) dummies, and at least 3 residual degrees of freedom; every season seen.
  minLength: (m) => m + 4,
  fit(y, m) {
    const n = y.length;
    const row = (t: number) => [1, t, ...Array.from({ length: m - 1 }, (_, j) => (t % m === j + 1 ? 1 : 0))];
    const x = y.map((_, t) => row(t));
    const fit = ols(x, y);
    const s = Math.sqrt(fit.sigma2);
    const t80 = studentTQuantile(0.9, fit.df);
    const t95 = studentTQuantile(0.975, fit.df);
    return {
      method: 'regression',
      params: { intercept: fit.beta[0], trend: fit.beta[1], df: fit.df },
      sigma: s,
      forecast: (h) =>
        Array.from({ length: h }, (_, i) => {
          const x0 = row(n + i);
          const mean = x0.reduce((acc, v, j) => acc + v * fit.beta[j], 0);
          const lev = x0.reduce((acc, vi, a) => acc + vi * x0.reduce((acc2, vj, b) => acc2 + fit.xtxInv[a][b] * vj, 0), 0);
          return band(i + 1, mean, s * Math.sqrt(1 + lev), t80, t95);
        }),
    };
  },
};

export const methods: Record<MethodName, MethodSpec> = {
  seasonal_naive: seasonalNaive,
  drift,
  holt_winters_additive: holtWintersAdditive,
  holt_winters_multiplicative: holtWintersMultiplicative,
  regression,
};

/** Why `method` cannot be fitted on a series of this length and content (null when it can). */
export function whyUnfit(method: MethodSpec, y: number[], m: number): string | null {
  if (y.length < method.minLength(m)) return `needs at least ${method.minLength(m)} months of history (have ${y.length})`;
  return method.unsuitable?.(y, m) ?? null;
}
