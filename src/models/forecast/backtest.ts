import { methods, whyUnfit, type MethodName, type MethodSpec } from './methods.ts';

/** Forecast accuracy of one forecast, HubSpot's way: max(0, 1 − |actual − forecast| / actual). Undefined when actual ≤ 0. */
export function hubspotAccuracy(actual: number, forecast: number): number | null {
  if (!(actual > 0)) return null;
  return Math.max(0, 1 - Math.abs(actual - forecast) / actual);
}

export interface BacktestPoint {
  /** Number of observations the method was fitted on (the origin is after y[origin − 1]). */
  origin: number;
  h: number;
  actual: number;
  forecast: number;
}

export interface MethodScore {
  method: MethodName;
  /** Origins that were forecast from, and (origin, h) pairs scored. */
  origins: number;
  forecasts: number;
  /** Mean absolute percentage error as a fraction (0.12 = 12 %), over pairs with actual ≠ 0. */
  mape: number | null;
  mae: number | null;
  rmse: number | null;
  /** Mean HubSpot accuracy over pairs with actual > 0. */
  accuracy: number | null;
  points: BacktestPoint[];
  /** Why the method was not backtested (too little history, zero months for multiplicative). */
  error?: string;
}

export interface BacktestOptions {
  /** Season length (12 for months). */
  period: number;
  /** Forecast steps scored from each origin (default 3). */
  horizon?: number;
  /** The first origin: fit on at least this many observations (default: the largest minimum length of the candidates that can run). */
  minTrain?: number;
  /** Use at most this many of the latest origins (default 24). */
  maxOrigins?: number;
}

/**
 * Rolling-origin backtest ("evaluation on a rolling forecasting origin", FPP3 §5.10): for each origin
 * o = minTrain … n − 1, fit on y[0..o) and forecast steps 1..horizon that have an actual; every method
 * is scored on the same (origin, step) pairs so their errors compare.
 *
 * @example
 * backtest([10, 20, 12, 22, 14, 24], ['seasonal_naive'], { period: 2, horizon: 1, minTrain: 3 })
 * // origins 3, 4, 5 → forecasts 20, 12, 22 against 22, 14, 24: MAE 2
 */
export function backtest(y: number[], candidates: MethodName[], options: BacktestOptions): MethodScore[] {
  const m = options.period;
  const horizon = options.horizon ?? 3;
  const eligible: MethodSpec[] = [];
  const scores: MethodScore[] = [];
  for (const name of candidates) {
    const spec = methods[name];
    // A method must be able to fit on the training part of at least one origin.
    const why = whyUnfit(spec, y.slice(0, y.length - 1), m);
    if (why) scores.push({ method: name, origins: 0, forecasts: 0, mape: null, mae: null, rmse: null, accuracy: null, points: [], error: why });
    else eligible.push(spec);
  }
  if (!eligible.length) return scores;
  const minTrain = Math.max(options.minTrain ?? 0, ...eligible.map((s) => s.minLength(m)));
  const lastOrigin = y.length - 1;
  const firstOrigin = Math.max(minTrain, lastOrigin - (options.maxOrigins ?? 24) + 1);
  for (const spec of eligible) {
    const points: BacktestPoint[] = [];
    let error: string | undefined;
    for (let origin = firstOrigin; origin <= lastOrigin; origin++) {
      const train = y.slice(0, origin);
      const why = whyUnfit(spec, train, m);
      if (why) {
        error = why;
        break;
      }
      const steps = Math.min(horizon, y.length - origin);
      const fc = spec.fit(train, m).forecast(steps);
      for (const p of fc) points.push({ origin, h: p.h, actual: y[origin + p.h - 1], forecast: p.mean });
    }
    scores.push(error ? { method: spec.name, origins: 0, forecasts: 0, mape: null, mae: null, rmse: null, accuracy: null, points: [], error } : score(spec.name, points));
  }
  return candidates.map((c) => scores.find((s) => s.method === c)!);
}

export function score(method: MethodName, points: BacktestPoint[]): MethodScore {
  const mean = (a: number[]) => (a.length ? a.reduce((s, v) => s + v, 0) / a.length : null);
  const ape = points.filter((p) => p.actual !== 0).map((p) => Math.abs(p.actual - p.forecast) / Math.abs(p.actual));
  const abs = points.map((p) => Math.abs(p.actual - p.forecast));
  const sq = points.map((p) => (p.actual - p.forecast) ** 2);
  const acc = points.map((p) => hubspotAccuracy(p.actual, p.forecast)).filter((a): a is number => a !== null);
  const mse = mean(sq);
  return {
    method,
    origins: new Set(points.map((p) => p.origin)).size,
    forecasts: points.length,
    mape: mean(ape),
    mae: mean(abs),
    rmse: mse === null ? null : Math.sqrt(mse),
    accuracy: mean(acc),
    points,
  };
}

/** The best-scored method: lowest MAPE (MAE when no MAPE), ties to the earlier candidate. */
export function chooseMethod(scores: MethodScore[]): MethodScore | null {
  const ok = scores.filter((s) => !s.error && s.forecasts > 0);
  if (!ok.length) return null;
  const key = ok.every((s) => s.mape !== null) ? 'mape' : 'mae';
  return ok.reduce((best, s) => ((s[key] ?? Infinity) < (best[key] ?? Infinity) ? s : best));
}
