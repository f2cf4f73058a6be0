/**
 * BG/NBD (Fader, Hardie & Lee 2005, "Counting Your Customers the Easy Way").
 * While active, a customer buys at Poisson rate λ ~ Gamma(r, α); after each purchase they drop out
 * with probability p ~ Beta(a, b). Time is in the unit of the data (weeks or days).
 *
 * Everything here is pure: the likelihood works on (x, tₓ, T) triples compressed with weights and is
 * computed in log space (eq. 6 of the paper), so x = 200 or T in days does not overflow.
 */
import { fitPositive, type FitResult } from './numeric/fit.ts';
import { digamma, hyp2f1, lbeta, lgamma, trigamma } from './numeric/special.ts';

export interface BgNbdParams {
  r: number;
  alpha: number;
  a: number;
  b: number;
}
export const bgnbdParamNames = ['r', 'alpha', 'a', 'b'] as const;

/** Distinct (x, tₓ, T) with the number of customers who share it. */
export interface Triples {
  x: Float64Array;
  tx: Float64Array;
  T: Float64Array;
  weight: Float64Array;
}

/** Compresses per-customer rows into distinct triples with weights. */
export function compressTriples(rows: Iterable<{ x: number; tx: number; T: number }>): Triples {
  const counts = new Map<string, { x: number; tx: number; T: number; n: number }>();
  for (const { x, tx, T } of rows) {
    const key = `${x}|${tx}|${T}`;
    const c = counts.get(key);
    if (c) c.n++;
    else counts.set(key, { x, tx, T, n: 1 });
  }
  const list = [...counts.values()];
  return {
    x: Float64Array.from(list, (c) => c.x),
    tx: Float64Array.from(list, (c) => c.tx),
    T: Float64Array.from(list, (c) => c.T),
    weight: Float64Array.from(list, (c) => c.n),
  };
}

/** Distinct values of a column and, per row, the index of its value: per-value work is done once. */
function distinctIndex(values: Float64Array): { index: Int32Array; distinct: Float64Array } {
  const index = new Int32Array(values.length);
  const distinct: number[] = [];
  const seen = new Map<number, number>();
  for (let i = 0; i < values.length; i++) {
    let j = seen.get(values[i]);
    if (j === undefined) {
      j = distinct.length;
      distinct.push(values[i]);
      seen.set(values[i], j);
    }
    index[i] = j;
  }
  return { index, distinct: Float64Array.from(distinct) };
}

/**
 * Per triple, the index of its distinct x, T and tₓ: work that depends only on x (log-gammas) or on one
 * time (ln(α + T), a few thousand distinct values) is done once per distinct value, not per triple.
 * Built once per fit and shared by the likelihood and its Hessian.
 */
export interface IndexedTriples {
  index: Int32Array;
  xs: Float64Array;
  tIndex: Int32Array;
  ts: Float64Array;
  txIndex: Int32Array;
  txs: Float64Array;
}

export function indexTriples(data: Triples): IndexedTriples {
  const { index, distinct: xs } = distinctIndex(data.x);
  const { index: tIndex, distinct: ts } = distinctIndex(data.T);
  const { index: txIndex, distinct: txs } = distinctIndex(data.tx);
  return { index, xs, tIndex, ts, txIndex, txs };
}

/** ln(e^l₂ + e^l₃) and the weights of the two terms, e^l₂ and e^l₃ over their sum, into `mix` (no overflow). */
const mix = new Float64Array(3);
function logMix(l2: number, l3: number): void {
  if (l2 >= l3) {
    const e = Math.exp(l3 - l2);
    mix[0] = l2 + Math.log1p(e);
    mix[2] = e / (1 + e);
    mix[1] = 1 - mix[2];
  } else {
    const e = Math.exp(l2 - l3);
    mix[0] = l3 + Math.log1p(e);
    mix[1] = e / (1 + e);
    mix[2] = 1 - mix[1];
  }
}

/** What the likelihood and its derivatives need per distinct time and per distinct x, at given parameters. */
interface Terms {
  lnAlphaT: Float64Array; // ln(α + T)
  invAlphaT: Float64Array;
  lnAlphaTx: Float64Array; // ln(α + tₓ)
  invAlphaTx: Float64Array;
  c0: Float64Array; // lnΓ(r+x) − lnΓ(r) + r ln α
  c2: Float64Array; // lnB(a, b+x) − lnB(a, b)
  c3: Float64Array; // lnB(a+1, b+x−1) − lnB(a, b), x > 0
  d0r: Float64Array; // ∂c₀/∂r
  d2a: Float64Array; // ∂c₂/∂a, ∂c₂/∂b, ∂c₃/∂a, ∂c₃/∂b
  d2b: Float64Array;
  d3a: Float64Array;
  d3b: Float64Array;
}

function allocTerms({ xs, ts, txs }: IndexedTriples): Terms {
  const perX = () => new Float64Array(xs.length);
  return {
    lnAlphaT: new Float64Array(ts.length), invAlphaT: new Float64Array(ts.length),
    lnAlphaTx: new Float64Array(txs.length), invAlphaTx: new Float64Array(txs.length),
    c0: perX(), c2: perX(), c3: perX(), d0r: perX(), d2a: perX(), d2b: perX(), d3a: perX(), d3b: perX(),
  };
}

/** Fills `t` at (r, α, a, b): once per distinct value, so each pass over the triples only looks them up. */
function fillTerms(t: Terms, { xs, ts, txs }: IndexedTriples, r: number, alpha: number, a: number, b: number): void {
  const lbab = lbeta(a, b);
  const psiR = digamma(r);
  const psiA = digamma(a);
  const psiB = digamma(b);
  const psiAB = digamma(a + b);
  const lnAlpha = Math.log(alpha);
  for (let k = 0; k < ts.length; k++) {
    t.lnAlphaT[k] = Math.log(alpha + ts[k]);
    t.invAlphaT[k] = 1 / (alpha + ts[k]);
  }
  for (let k = 0; k < txs.length; k++) {
    t.lnAlphaTx[k] = Math.log(alpha + txs[k]);
    t.invAlphaTx[k] = 1 / (alpha + txs[k]);
  }
  for (let j = 0; j < xs.length; j++) {
    const x = xs[j];
    t.c0[j] = lgamma(r + x) - lgamma(r) + r * lnAlpha;
    t.d0r[j] = digamma(r + x) - psiR + lnAlpha;
    t.c2[j] = lbeta(a, b + x) - lbab;
    const psiABX = digamma(a + b + x);
    t.d2a[j] = psiAB - psiABX;
    t.d2b[j] = digamma(b + x) - psiABX - (psiB - psiAB);
    if (x > 0) {
      t.c3[j] = lbeta(a + 1, b + x - 1) - lbab;
      t.d3a[j] = digamma(a + 1) - psiABX - (psiA - psiAB);
      t.d3b[j] = digamma(b + x - 1) - psiABX - (psiB - psiAB);
    }
  }
}

/**
 * −LL and its gradient over natural parameters (r, α, a, b), for the optimiser. Precomputes what
 * depends only on x once per distinct frequency.
 */
export function bgnbdNegLogLik(data: Triples, indexed: IndexedTriples = indexTriples(data)): (p: Float64Array, grad: Float64Array) => number {
  const { index, tIndex, txIndex } = indexed;
  const terms = allocTerms(indexed);
  const { lnAlphaT, invAlphaT, lnAlphaTx, invAlphaTx, c0, c2, c3, d0r, d2a, d2b, d3a, d3b } = terms;
  const n = data.x.length;
  return (p, grad) => {
    const [r, alpha, a, b] = p;
    if (!(r > 0 && alpha > 0 && a > 0 && b > 0)) return Infinity;
    fillTerms(terms, indexed, r, alpha, a, b);
    let ll = 0;
    let gr = 0;
    let gAlpha = 0;
    let ga = 0;
    let gb = 0;
    const { x: X, weight: W } = data;
    for (let i = 0; i < n; i++) {
      const j = index[i];
      const x = X[i];
      const w = W[i];
      const rx = r + x;
      const lnT = lnAlphaT[tIndex[i]];
      const l2 = c2[j] - rx * lnT;
      let lse: number;
      let w2 = 1;
      let w3 = 0;
      let lnTx = 0;
      if (x > 0) {
        lnTx = lnAlphaTx[txIndex[i]];
        logMix(l2, c3[j] - rx * lnTx);
        lse = mix[0];
        w2 = mix[1];
        w3 = mix[2];
      } else {
        lse = l2;
      }
      ll += w * (c0[j] + lse);
      gr += w * (d0r[j] - w2 * lnT - w3 * lnTx);
      gAlpha += w * (r / alpha - rx * (w2 * invAlphaT[tIndex[i]] + (x > 0 ? w3 * invAlphaTx[txIndex[i]] : 0)));
      ga += w * (w2 * d2a[j] + w3 * d3a[j]);
      gb += w * (w2 * d2b[j] + w3 * d3b[j]);
    }
    grad[0] = -gr;
    grad[1] = -gAlpha;
    grad[2] = -ga;
    grad[3] = -gb;
    return Number.isFinite(ll) ? -ll : Infinity;
  };
}

/**
 * −LL and its analytic Hessian over natural parameters (r, α, a, b) in one pass over the triples, for
 * the standard errors (a central-difference Hessian of the gradient needs eight passes). Per triple,
 * LL = c₀(x) + ln(e^l₂ + e^l₃), so with the mixture weights w₂, w₃ (as in the gradient)
 * ∇²LL = ∇²c₀ + w₂∇²l₂ + w₃∇²l₃ + w₂w₃(∇l₂ − ∇l₃)(∇l₂ − ∇l₃)ᵀ; the second derivatives of the beta
 * functions are trigamma differences per distinct x. −LL is computed exactly as `bgnbdNegLogLik` does.
 */
export function bgnbdNegLogLikHessian(data: Triples, indexed: IndexedTriples = indexTriples(data)): (p: Float64Array) => { value: number; hessian: number[][] } {
  const { index, xs, tIndex, txIndex } = indexed;
  const nx = xs.length;
  const n = data.x.length;
  return (p) => {
    const [r, alpha, a, b] = p;
    if (!(r > 0 && alpha > 0 && a > 0 && b > 0)) return { value: Infinity, hessian: [] };
    const terms = allocTerms(indexed);
    fillTerms(terms, indexed, r, alpha, a, b);
    const { lnAlphaT, invAlphaT, lnAlphaTx, invAlphaTx, c0, c2, c3, d2a, d2b, d3a, d3b } = terms;
    const triR = trigamma(r);
    const triA = trigamma(a);
    const triB = trigamma(b);
    const triAB = trigamma(a + b);
    const hrr = new Float64Array(nx); // ∂²c₀/∂r²
    const h2ab = new Float64Array(nx); // ∂²c₂/∂a² = ∂²c₂/∂a∂b = ∂²c₃/∂a∂b
    const h2bb = new Float64Array(nx);
    const h3aa = new Float64Array(nx);
    const h3bb = new Float64Array(nx);
    for (let j = 0; j < nx; j++) {
      const x = xs[j];
      hrr[j] = trigamma(r + x) - triR;
      const triABX = trigamma(a + b + x);
      h2ab[j] = triAB - triABX;
      h2bb[j] = trigamma(b + x) - triABX - triB + triAB;
      if (x > 0) {
        h3aa[j] = trigamma(a + 1) - triABX - triA + triAB;
        h3bb[j] = trigamma(b + x - 1) - triABX - triB + triAB;
      }
    }
    let ll = 0;
    // Σ w·∂²LL, upper triangle over (r, α, a, b).
    let Hrr = 0, Hra = 0, Hrp = 0, Hrq = 0, Haa = 0, Hap = 0, Haq = 0, Hpp = 0, Hpq = 0, Hqq = 0;
    const { x: X, weight: W } = data;
    for (let i = 0; i < n; i++) {
      const j = index[i];
      const x = X[i];
      const w = W[i];
      const rx = r + x;
      const lnT = lnAlphaT[tIndex[i]];
      const iT = invAlphaT[tIndex[i]];
      const l2 = c2[j] - rx * lnT;
      let lse: number;
      // ∂²c₀ and w₂∇²l₂ (w₂ = 1 when x = 0)
      Hrr += w * hrr[j];
      Hra += w * (1 / alpha);
      Haa += w * (-r / (alpha * alpha));
      if (x > 0) {
        const lnTx = lnAlphaTx[txIndex[i]];
        const iTx = invAlphaTx[txIndex[i]];
        logMix(l2, c3[j] - rx * lnTx);
        lse = mix[0];
        const w2 = mix[1];
        const w3 = mix[2];
        Hra -= w * (w2 * iT + w3 * iTx);
        Haa += w * rx * (w2 * iT * iT + w3 * iTx * iTx);
        Hpp += w * (w2 * h2ab[j] + w3 * h3aa[j]);
        Hpq += w * h2ab[j];
        Hqq += w * (w2 * h2bb[j] + w3 * h3bb[j]);
        // w₂w₃ δδᵀ with δ = ∇l₂ − ∇l₃
        const ww = w * w2 * w3;
        const dr = lnTx - lnT;
        const da = rx * (iTx - iT);
        const dp = d2a[j] - d3a[j];
        const dq = d2b[j] - d3b[j];
        Hrr += ww * dr * dr;
        Hra += ww * dr * da;
        Hrp += ww * dr * dp;
        Hrq += ww * dr * dq;
        Haa += ww * da * da;
        Hap += ww * da * dp;
        Haq += ww * da * dq;
        Hpp += ww * dp * dp;
        Hpq += ww * dp * dq;
        Hqq += ww * dq * dq;
      } else {
        lse = l2;
        Hra -= w * iT;
        Haa += w * rx * iT * iT;
        Hpp += w * h2ab[j];
        Hpq += w * h2ab[j];
        Hqq += w * h2bb[j];
      }
      ll += w * (c0[j] + lse);
    }
    // −LL's Hessian is minus LL's.
    const hessian = [
      [-Hrr, -Hra, -Hrp, -Hrq],
      [-Hra, -Haa, -Hap, -Haq],
      [-Hrp, -Hap, -Hpp, -Hpq],
      [-Hrq, -Haq, -Hpq, -Hqq],
    ];
    return { value: Number.isFinite(ll) ? -ll : Infinity, hessian };
  };
}

/** Total log-likelihood (paper eq. 6) of the triples at the given parameters. */
export function bgnbdLogLikelihood(params: BgNbdParams, data: Triples): number {
  return -bgnbdNegLogLik(data)(Float64Array.of(params.r, params.alpha, params.a, params.b), new Float64Array(4));
}

/** Data checks before a fit: a clear reason when BG/NBD cannot be estimated, else null. */
export function bgnbdDataProblem(data: Triples): string | null {
  let customers = 0;
  let repeaters = 0;
  for (let i = 0; i < data.x.length; i++) {
    customers += data.weight[i];
    if (data.x[i] > 0) repeaters += data.weight[i];
  }
  if (customers === 0) return 'no customers with a purchase in the calibration window';
  if (repeaters === 0) {
    return 'no customer made a repeat purchase in the calibration window, so the drop-out process (a, b) cannot be estimated; use a longer calibration window or check that repeat orders are loaded with status "completed"';
  }
  if (customers < 10) return `only ${customers} customer${customers === 1 ? '' : 's'} in the calibration window; BG/NBD needs a population (hundreds of customers or more)`;
  return null;
}

/**
 * Maximum-likelihood BG/NBD fit. Never throws for data it can fit; `converged` and `message` say
 * whether to trust the result.
 *
 * @example
 * const fit = fitBgNbd(compressTriples(rows)); // fit.params.r, fit.logLikelihood, fit.stdErrors.r
 */
export function fitBgNbd(data: Triples): FitResult<keyof BgNbdParams> {
  let customers = 0;
  let sumX = 0;
  let sumT = 0;
  for (let i = 0; i < data.x.length; i++) {
    customers += data.weight[i];
    sumX += data.weight[i] * data.x[i];
    sumT += data.weight[i] * data.T[i];
  }
  // Start at r = 1 with α matching the observed purchase rate; a = b = 1. Large inputs first fit a
  // systematic subsample, so the full data are only used for the last few steps.
  const alpha0 = Math.max(1e-3, sumT / Math.max(sumX, 1));
  const sample = subsample(data, 60_000);
  const indexed = indexTriples(data);
  return fitPositive(bgnbdParamNames, bgnbdNegLogLik(data, indexed), [1, alpha0, 1, 1], { nObservations: customers, nDistinct: data.x.length }, {
    bounds: [1e-6, 1e7],
    warmStart: sample && { negLogLik: bgnbdNegLogLik(sample.data), nObservations: sample.weight },
    hessian: bgnbdNegLogLikHessian(data, indexed),
  });
}

/** Every k-th row with its weight × k (rows come in no meaningful order); undefined when the data are small. */
export function subsample<D extends { weight: Float64Array }>(data: D, target: number): { data: D; weight: number } | undefined {
  const n = data.weight.length;
  if (n <= 2 * target) return undefined;
  const step = Math.ceil(n / target);
  const out: Record<string, Float64Array> = {};
  for (const [key, column] of Object.entries(data as unknown as Record<string, Float64Array>)) {
    const c = new Float64Array(Math.ceil(n / step));
    for (let i = 0, j = 0; i < n; i += step, j++) c[j] = key === 'weight' ? column[i] * step : column[i];
    out[key] = c;
  }
  return { data: out as unknown as D, weight: out.weight.reduce((s, w) => s + w, 0) };
}

/** P(alive | x, tₓ, T) (paper eq. 13 rewritten in log space). */
export function pAlive(p: BgNbdParams, x: number, tx: number, T: number): number {
  if (x === 0) return 1;
  const logRatio = Math.log(p.a / (p.b + x - 1)) + (p.r + x) * Math.log((p.alpha + T) / (p.alpha + tx));
  return 1 / (1 + Math.exp(logRatio));
}

/** E[X(t)] for a customer just acquired (paper eq. 7). */
export function expectedPurchases(p: BgNbdParams, t: number): number {
  if (t <= 0) return 0;
  return conditionalCoefficient(p, 0) * (1 - conditionalTerm(p, t, 0, 0));
}

/**
 * G(t) = ((α+T)/(α+T+t))^(r+x) · ₂F₁(r+x, b+x; a+b+x−1; z), z = t/(α+T+t): the part of the
 * conditional expectation that depends on (x, T) and the horizon, not on tₓ. Computed through
 * Euler's transformation as (1−z)^(a−1) · ₂F₁(a+b−1−r, a−1; a+b+x−1; z), whose series stays O(1)
 * and converges fast for large x (the direct form overflows near x = 400).
 */
export function conditionalTerm(p: BgNbdParams, t: number, x: number, T: number): number {
  if (t <= 0) return 1;
  const base = p.alpha + T;
  const z = t / (base + t);
  return Math.exp((p.a - 1) * Math.log(base / (base + t))) * hyp2f1(p.a + p.b - 1 - p.r, p.a - 1, p.a + p.b + x - 1, z);
}

/** (a + b + x − 1) / (a − 1): the leading factor of the conditional expectation. */
export function conditionalCoefficient(p: BgNbdParams, x: number): number {
  return (p.a + p.b + x - 1) / (p.a - 1);
}

/** E[Y(t) | x, tₓ, T]: expected purchases in the next t periods (paper eq. 10). */
export function conditionalExpectedPurchases(p: BgNbdParams, t: number, x: number, tx: number, T: number): number {
  if (t <= 0) return 0;
  return conditionalCoefficient(p, x) * (1 - conditionalTerm(p, t, x, T)) * pAlive(p, x, tx, T);
}

/** P(X(t) = n) for a customer just acquired (paper eq. 8). */
export function probPurchases(p: BgNbdParams, n: number, t: number): number {
  const lbab = lbeta(p.a, p.b);
  const lz = Math.log(t / (p.alpha + t));
  const la = p.r * Math.log(p.alpha / (p.alpha + t));
  const first = Math.exp(lbeta(p.a, p.b + n) - lbab + lgamma(p.r + n) - lgamma(p.r) - lgamma(n + 1) + la + n * lz);
  if (n === 0) return first;
  let sum = 0;
  for (let j = 0; j < n; j++) sum += Math.exp(lgamma(p.r + j) - lgamma(p.r) - lgamma(j + 1) + la + j * lz);
  return first + Math.exp(lbeta(p.a + 1, p.b + n - 1) - lbab) * (1 - sum);
}
