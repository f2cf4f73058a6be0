/**
 * Shifted-beta-geometric (sBG) model of contractual retention (Fader & Hardie 2007, "How to project
 * customer retention"). At each renewal a customer leaves with probability θ ~ Beta(α, β):
 *   P(T = t) = B(α + 1, β + t − 1) / B(α, β),   S(t) = B(α, β + t) / B(α, β),   t = 1, 2, …
 * Fitted by maximum likelihood on churn counts per period plus right-censored survivors.
 */
import { fitPositive, type FitResult } from '../clv/numeric/fit.ts';
import { digamma, lbeta } from '../clv/numeric/special.ts';

export interface SbgParams {
  alpha: number;
  beta: number;
}

/** Per period t ≥ 1: how many churned in t, and how many were last seen alive after t periods (censored). */
export interface SbgData {
  period: number[];
  churned: number[];
  censored: number[];
}

/** Survivor counts at t = 0, 1, …, n (a single cohort observed for n periods) → churn and censoring counts. */
export function fromSurvivors(alive: number[]): SbgData {
  const period: number[] = [];
  const churned: number[] = [];
  const censored: number[] = [];
  for (let t = 1; t < alive.length; t++) {
    period.push(t);
    churned.push(alive[t - 1] - alive[t]);
    censored.push(t === alive.length - 1 ? alive[t] : 0);
  }
  return { period, churned, censored };
}

/** −LL and its gradient over (α, β). Censored at t = 0 contributes nothing (S(0) = 1). */
export function sbgNegLogLik(data: SbgData): (p: Float64Array, grad: Float64Array) => number {
  return (params, grad) => {
    const [alpha, beta] = params;
    if (!(alpha > 0 && beta > 0)) return Infinity;
    const lb = lbeta(alpha, beta);
    const psiA = digamma(alpha);
    const psiB = digamma(beta);
    const psiAB = digamma(alpha + beta);
    let ll = 0;
    let ga = 0;
    let gb = 0;
    for (let i = 0; i < data.period.length; i++) {
      const t = data.period[i];
      const e = data.churned[i];
      const c = data.censored[i];
      if (e > 0) {
        // ln P(T = t) = lnB(α+1, β+t−1) − lnB(α, β)
        ll += e * (lbeta(alpha + 1, beta + t - 1) - lb);
        const psiSum = digamma(alpha + beta + t);
        ga += e * (digamma(alpha + 1) - psiSum - psiA + psiAB);
        gb += e * (digamma(beta + t - 1) - psiSum - psiB + psiAB);
      }
      if (c > 0 && t > 0) {
        // ln S(t) = lnB(α, β+t) − lnB(α, β)
        ll += c * (lbeta(alpha, beta + t) - lb);
        const psiSum = digamma(alpha + beta + t);
        ga += c * (psiA - psiSum - psiA + psiAB);
        gb += c * (digamma(beta + t) - psiSum - psiB + psiAB);
      }
    }
    grad[0] = -ga;
    grad[1] = -gb;
    return Number.isFinite(ll) ? -ll : Infinity;
  };
}

/** A clear reason when the sBG cannot be estimated, else null. */
export function sbgDataProblem(data: SbgData): string | null {
  const churned = data.churned.reduce((s, v) => s + v, 0);
  const observed = churned + data.censored.reduce((s, v, i) => s + (data.period[i] > 0 ? v : 0), 0);
  if (observed === 0) return 'no subscription has completed a month yet';
  if (churned === 0) return 'no subscription has churned yet, so the churn rate cannot be estimated';
  return null;
}

/**
 * Maximum-likelihood sBG fit.
 *
 * @example fitSbg(fromSurvivors([1000, 631, 468, 382, 326, 289, 262, 241])).params // α ≈ 0.688, β ≈ 1.182
 */
export function fitSbg(data: SbgData): FitResult<keyof SbgParams> {
  let n = 0;
  let churned = 0;
  let exposure = 0;
  for (let i = 0; i < data.period.length; i++) {
    n += data.churned[i] + (data.period[i] > 0 ? data.censored[i] : 0);
    churned += data.churned[i];
    exposure += data.churned[i] * data.period[i] + data.censored[i] * data.period[i];
  }
  // Start from the pooled geometric rate θ̂ = churns / periods at risk, as Beta(1, 1/θ̂ − 1).
  const theta = Math.min(0.99, Math.max(1e-3, churned / Math.max(exposure, 1)));
  return fitPositive(['alpha', 'beta'] as const, sbgNegLogLik(data), [1, Math.max(1e-3, 1 / theta - 1)], { nObservations: n, nDistinct: data.period.length }, { bounds: [1e-6, 1e7] });
}

/** S(t) for t = 0 … horizon. */
export function sbgSurvival(p: SbgParams, horizon: number): number[] {
  const out = [1];
  let s = 1;
  for (let t = 1; t <= horizon; t++) {
    // S(t) = S(t−1) · r_t with r_t = (β + t − 1) / (α + β + t − 1)
    s *= (p.beta + t - 1) / (p.alpha + p.beta + t - 1);
    out.push(s);
  }
  return out;
}

/** Retention rate r_t = S(t) / S(t−1) = (β + t − 1) / (α + β + t − 1): rises with tenure (sorting). */
export function sbgRetentionRate(p: SbgParams, t: number): number {
  return (p.beta + t - 1) / (p.alpha + p.beta + t - 1);
}

/**
 * Lifetime summaries: mean (α + β − 1)/(α − 1) periods when α > 1 (infinite otherwise), median, and
 * the discounted expected lifetime Σ S(t)/(1 + d)^t (t ≥ 0) at a per-period discount rate d.
 */
export function sbgLifetime(p: SbgParams, discountRate: number): { mean: number | null; median: number | null; discountedExpectedLifetime: number } {
  let median: number | null = null;
  let del = 0;
  let s = 1;
  let disc = 1;
  for (let t = 0; t < 100_000; t++) {
    if (t > 0) {
      s *= sbgRetentionRate(p, t);
      disc /= 1 + discountRate;
    }
    if (median === null && s <= 0.5) median = t;
    del += s * disc;
    if (s * disc < 1e-12 && median !== null) break;
  }
  return { mean: p.alpha > 1 ? (p.alpha + p.beta - 1) / (p.alpha - 1) : null, median, discountedExpectedLifetime: del };
}
