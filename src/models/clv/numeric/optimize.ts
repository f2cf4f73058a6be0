/**
 * Small, dependency-free optimisers for smooth likelihoods of a few parameters:
 * L-BFGS with a strong-Wolfe line search (Nocedal & Wright, alg. 7.4 and 3.5/3.6), Nelder–Mead
 * (adaptive coefficients, Gao & Han 2012) as a derivative-free fallback, and a central-difference
 * Hessian for standard errors. Objectives return +Infinity (or NaN) outside their domain; both
 * optimisers treat that as "worse than anything".
 */

export type Objective = (x: Float64Array) => number;
/** Value and gradient at x; the gradient is written into `grad`. */
export type ObjectiveWithGradient = (x: Float64Array, grad: Float64Array) => number;

export interface OptimiseResult {
  x: Float64Array;
  value: number;
  converged: boolean;
  iterations: number;
  evaluations: number;
  gradientNorm: number;
  message: string;
}

export interface LbfgsOptions {
  /** Converged when max |gradient| ≤ gtol. */
  gtol?: number;
  /** …or when the relative decrease of f over an iteration is below ftol (twice in a row). */
  ftol?: number;
  maxIterations?: number;
  memory?: number;
  /** Called after each iteration (diagnostics). */
  onIteration?: (info: { iteration: number; value: number; gradientNorm: number; evaluations: number; step: number }) => void;
}

const dot = (a: Float64Array, b: Float64Array) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};
const maxAbs = (a: Float64Array) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
};
const bad = (v: number) => !Number.isFinite(v);

/** Central-difference gradient of f, for objectives without an analytic one. */
export function numericGradient(f: Objective, step = 1e-6): ObjectiveWithGradient {
  return (x, grad) => {
    const fx = f(x);
    const y = Float64Array.from(x);
    for (let i = 0; i < x.length; i++) {
      const h = step * Math.max(1, Math.abs(x[i]));
      y[i] = x[i] + h;
      const up = f(y);
      y[i] = x[i] - h;
      const down = f(y);
      y[i] = x[i];
      grad[i] = (up - down) / (2 * h);
    }
    return fx;
  };
}

/**
 * Minimises f with L-BFGS. Returns the best point found with an honest convergence flag and message.
 *
 * @example
 * const r = lbfgs((x, g) => { g[0] = 2 * (x[0] - 3); return (x[0] - 3) ** 2; }, Float64Array.of(0));
 * // r.x[0] ≈ 3, r.converged === true
 */
export function lbfgs(fg: ObjectiveWithGradient, x0: Float64Array, options: LbfgsOptions = {}): OptimiseResult {
  const gtol = options.gtol ?? 1e-8;
  const ftol = options.ftol ?? 1e-15;
  const maxIterations = options.maxIterations ?? 500;
  const m = options.memory ?? 8;
  const n = x0.length;
  let evaluations = 0;
  const evaluate = (x: Float64Array, g: Float64Array) => {
    evaluations++;
    const v = fg(x, g);
    return Number.isNaN(v) ? Infinity : v;
  };

  let x: Float64Array = Float64Array.from(x0);
  let g: Float64Array = new Float64Array(n);
  let f = evaluate(x, g);
  if (bad(f) || g.some(bad)) {
    return { x, value: f, converged: false, iterations: 0, evaluations, gradientNorm: NaN, message: 'objective is not finite at the starting point' };
  }
  const S: Float64Array[] = [];
  const Y: Float64Array[] = [];
  const rho: number[] = [];
  let smallSteps = 0;
  let iterations = 0;
  let message = 'iteration limit reached';
  let converged = false;

  for (; iterations < maxIterations; iterations++) {
    if (maxAbs(g) <= gtol) {
      converged = true;
      message = 'gradient below tolerance';
      break;
    }
    // Two-loop recursion: d = −H·g.
    const d = Float64Array.from(g, (v) => -v);
    const alpha = new Array<number>(S.length);
    for (let i = S.length - 1; i >= 0; i--) {
      alpha[i] = rho[i] * dot(S[i], d);
      for (let j = 0; j < n; j++) d[j] -= alpha[i] * Y[i][j];
    }
    if (S.length) {
      const k = S.length - 1;
      const gamma = dot(S[k], Y[k]) / dot(Y[k], Y[k]);
      for (let j = 0; j < n; j++) d[j] *= gamma;
    } else {
      // First step: scale so that the first trial moves each coordinate by at most ~1.
      const s = 1 / Math.max(1, maxAbs(g));
      for (let j = 0; j < n; j++) d[j] *= s;
    }
    for (let i = 0; i < S.length; i++) {
      const beta = rho[i] * dot(Y[i], d);
      for (let j = 0; j < n; j++) d[j] += S[i][j] * (alpha[i] - beta);
    }
    let dg = dot(d, g);
    if (!(dg < 0)) {
      // Not a descent direction (curvature information went stale): restart from steepest descent.
      S.length = Y.length = rho.length = 0;
      for (let j = 0; j < n; j++) d[j] = -g[j] / Math.max(1, maxAbs(g));
      dg = dot(d, g);
    }
    const ls = wolfeLineSearch(evaluate, x, f, g, d, dg);
    if (!ls) {
      if (S.length) {
        // Drop the memory and try once more along the steepest descent.
        S.length = Y.length = rho.length = 0;
        continue;
      }
      // No step decreases f any more. Near the optimum this is rounding noise in a large sum, which
      // counts as converged when the gradient is small; elsewhere the likelihood is flat or noisy.
      converged = maxAbs(g) <= Math.sqrt(gtol) * 0.3;
      message = converged
        ? 'converged to machine precision (no step decreases the objective; gradient small)'
        : 'line search could not decrease the objective (flat or noisy likelihood?)';
      break;
    }
    const s = new Float64Array(n);
    const y = new Float64Array(n);
    for (let j = 0; j < n; j++) {
      s[j] = ls.x[j] - x[j];
      y[j] = ls.g[j] - g[j];
    }
    const sy = dot(s, y);
    const relDecrease = (f - ls.f) / Math.max(Math.abs(f), Math.abs(ls.f), 1);
    x = ls.x;
    g = ls.g;
    f = ls.f;
    if (sy > 1e-12 * Math.sqrt(dot(s, s) * dot(y, y))) {
      S.push(s);
      Y.push(y);
      rho.push(1 / sy);
      if (S.length > m) {
        S.shift();
        Y.shift();
        rho.shift();
      }
    }
    options.onIteration?.({ iteration: iterations + 1, value: f, gradientNorm: maxAbs(g), evaluations, step: ls.t });
    smallSteps = relDecrease < ftol ? smallSteps + 1 : 0;
    if (smallSteps >= 2) {
      converged = maxAbs(g) <= Math.sqrt(gtol);
      message = converged ? 'objective stopped decreasing (gradient small)' : 'objective stopped decreasing but the gradient is not small';
      iterations++;
      break;
    }
  }
  return { x, value: f, converged, iterations, evaluations, gradientNorm: maxAbs(g), message };
}

/** Strong-Wolfe line search (c1 = 1e-4, c2 = 0.9); null when no acceptable step was found. */
function wolfeLineSearch(
  evaluate: (x: Float64Array, g: Float64Array) => number,
  x: Float64Array,
  f0: number,
  g0: Float64Array,
  d: Float64Array,
  dg0: number,
): { x: Float64Array; f: number; g: Float64Array; t: number } | null {
  const c1 = 1e-4;
  const c2 = 0.9;
  const n = x.length;
  type Point = { t: number; x: Float64Array; f: number; g: Float64Array; dg: number };
  const at = (t: number): Point => {
    const xt = new Float64Array(n);
    for (let j = 0; j < n; j++) xt[j] = x[j] + t * d[j];
    const gt = new Float64Array(n);
    const ft = evaluate(xt, gt);
    return { t, x: xt, f: ft, g: gt, dg: bad(ft) ? NaN : dot(gt, d) };
  };
  const zoom = (lo: Point, hi: Point): Point | null => {
    // Few rounds: when many are needed, f is flat to rounding and more evaluations buy nothing.
    for (let k = 0; k < 12; k++) {
      // Bisection guarded interpolation: cubic when both ends are finite, else halve.
      let t = (lo.t + hi.t) / 2;
      if (!bad(hi.f) && !Number.isNaN(hi.dg)) {
        const d1 = lo.dg + hi.dg - (3 * (lo.f - hi.f)) / (lo.t - hi.t);
        const disc = d1 * d1 - lo.dg * hi.dg;
        if (disc >= 0) {
          const d2 = Math.sign(hi.t - lo.t) * Math.sqrt(disc);
          const tc = hi.t - (hi.t - lo.t) * ((hi.dg + d2 - d1) / (hi.dg - lo.dg + 2 * d2));
          const lower = Math.min(lo.t, hi.t);
          const upper = Math.max(lo.t, hi.t);
          const margin = 0.1 * (upper - lower);
          if (tc > lower + margin && tc < upper - margin) t = tc;
        }
      }
      const p = at(t);
      if (bad(p.f) || p.f > f0 + c1 * t * dg0 || p.f >= lo.f) {
        hi = p;
      } else {
        if (Math.abs(p.dg) <= -c2 * dg0) return p;
        if (p.dg * (hi.t - lo.t) >= 0) hi = lo;
        lo = p;
      }
      if (Math.abs(hi.t - lo.t) < 1e-16 * Math.max(1, lo.t)) break;
    }
    return lo.t > 0 && lo.f < f0 ? lo : null;
  };

  const start: Point = { t: 0, x, f: f0, g: g0, dg: dg0 };
  let prev = start;
  let t = 1;
  for (let k = 0; k < 60; k++) {
    const p = at(t);
    if (bad(p.f) || p.f > f0 + c1 * t * dg0 || (k > 0 && p.f >= prev.f)) return zoom(prev, p);
    if (Math.abs(p.dg) <= -c2 * dg0) return p;
    if (p.dg >= 0) return zoom(p, prev);
    prev = p;
    t *= 2;
  }
  return prev.t > 0 ? prev : null;
}

export interface NelderMeadOptions {
  maxEvaluations?: number;
  /** Converged when the simplex's value spread and size are both below these. */
  ftol?: number;
  xtol?: number;
  /** Initial simplex edge (absolute). */
  step?: number;
}

/** Nelder–Mead with adaptive coefficients; for a derivative-free restart of a stalled L-BFGS. */
export function nelderMead(f: Objective, x0: Float64Array, options: NelderMeadOptions = {}): OptimiseResult {
  const n = x0.length;
  const maxEvaluations = options.maxEvaluations ?? 2000 * n;
  const ftol = options.ftol ?? 1e-12;
  const xtol = options.xtol ?? 1e-10;
  const step = options.step ?? 0.5;
  const [alpha, beta, gamma, delta] = [1, 1 + 2 / n, 0.75 - 1 / (2 * n), 1 - 1 / n];
  let evaluations = 0;
  const value = (x: Float64Array) => {
    evaluations++;
    const v = f(x);
    return Number.isFinite(v) ? v : Infinity;
  };
  let simplex = Array.from({ length: n + 1 }, (_, i) => {
    const x = Float64Array.from(x0);
    if (i > 0) x[i - 1] += step;
    return { x, f: value(x) };
  });
  let iterations = 0;
  let converged = false;
  while (evaluations < maxEvaluations) {
    iterations++;
    simplex.sort((p, q) => p.f - q.f);
    const best = simplex[0];
    const worst = simplex[n];
    let size = 0;
    for (const p of simplex) for (let j = 0; j < n; j++) size = Math.max(size, Math.abs(p.x[j] - best.x[j]));
    if (Number.isFinite(worst.f) && worst.f - best.f <= ftol * Math.max(1, Math.abs(best.f)) && size <= xtol) {
      converged = true;
      break;
    }
    const centroid = new Float64Array(n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) centroid[j] += simplex[i].x[j] / n;
    const along = (c: number) => {
      const x = new Float64Array(n);
      for (let j = 0; j < n; j++) x[j] = centroid[j] + c * (worst.x[j] - centroid[j]);
      return { x, f: value(x) };
    };
    const reflected = along(-alpha);
    if (reflected.f < best.f) {
      const expanded = along(-alpha * beta);
      simplex[n] = expanded.f < reflected.f ? expanded : reflected;
    } else if (reflected.f < simplex[n - 1].f) {
      simplex[n] = reflected;
    } else {
      const outside = reflected.f < worst.f;
      const contracted = along(outside ? -alpha * gamma : gamma);
      if (contracted.f < (outside ? reflected.f : worst.f)) {
        simplex[n] = contracted;
      } else {
        simplex = simplex.map((p, i) => {
          if (i === 0) return p;
          const x = new Float64Array(n);
          for (let j = 0; j < n; j++) x[j] = best.x[j] + delta * (p.x[j] - best.x[j]);
          return { x, f: value(x) };
        });
      }
    }
  }
  simplex.sort((p, q) => p.f - q.f);
  return {
    x: simplex[0].x,
    value: simplex[0].f,
    converged,
    iterations,
    evaluations,
    gradientNorm: NaN,
    message: converged ? 'simplex collapsed' : 'evaluation limit reached',
  };
}

/**
 * Minimises with L-BFGS; if that stalls, restarts from the best point with Nelder–Mead and polishes
 * with L-BFGS again. Diagnostics of every stage are kept in `message`.
 */
export function minimise(fg: ObjectiveWithGradient, x0: Float64Array, options: LbfgsOptions = {}): OptimiseResult {
  const first = lbfgs(fg, x0, options);
  if (first.converged) return first;
  const scratch = new Float64Array(x0.length);
  const start = Number.isFinite(first.value) ? first.x : x0;
  const nm = nelderMead((x) => fg(x, scratch), start);
  const second = lbfgs(fg, nm.value < first.value ? nm.x : first.x, options);
  const best = second.value <= first.value ? second : first;
  return {
    ...best,
    iterations: first.iterations + nm.iterations + second.iterations,
    evaluations: first.evaluations + nm.evaluations + second.evaluations,
    message: `${best.message} (L-BFGS: ${first.message}; Nelder–Mead restart: ${nm.message})`,
  };
}

/**
 * Hessian by central differences of the gradient (symmetrised), with relative steps.
 * `grad` must be the gradient in the same parametrisation as x.
 */
export function hessianFromGradient(fg: ObjectiveWithGradient, x: Float64Array, relStep = 1e-5): number[][] {
  const n = x.length;
  const H = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  const gu = new Float64Array(n);
  const gd = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    const h = relStep * Math.max(Math.abs(x[j]), 1e-3);
    const up = Float64Array.from(x);
    const down = Float64Array.from(x);
    up[j] += h;
    down[j] -= h;
    fg(up, gu);
    fg(down, gd);
    for (let i = 0; i < n; i++) H[i][j] = (gu[i] - gd[i]) / (2 * h);
  }
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) H[i][j] = H[j][i] = (H[i][j] + H[j][i]) / 2;
  return H;
}

/** Inverse of a symmetric positive-definite matrix by Cholesky; null when not positive definite. */
export function invertSpd(A: number[][]): number[][] | null {
  const n = A.length;
  const L = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = A[i][j];
      for (let k = 0; k < j; k++) s -= L[i][k] * L[j][k];
      if (i === j) {
        if (!(s > 0) || !Number.isFinite(s)) return null;
        L[i][i] = Math.sqrt(s);
      } else {
        L[i][j] = s / L[j][j];
      }
    }
  }
  // inv(A) = inv(L)ᵀ inv(L)
  const Li = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    Li[i][i] = 1 / L[i][i];
    for (let j = 0; j < i; j++) {
      let s = 0;
      for (let k = j; k < i; k++) s -= L[i][k] * Li[k][j];
      Li[i][j] = s / L[i][i];
    }
  }
  const inv = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = Math.max(i, j); k < n; k++) s += Li[k][i] * Li[k][j];
      inv[i][j] = s;
    }
  return inv;
}

/**
 * Standard errors from the Hessian of the negative log-likelihood (natural parameters):
 * sqrt of the diagonal of its inverse. Null entries when the Hessian is not positive definite.
 */
export function standardErrors(hessian: number[][]): { se: (number | null)[]; positiveDefinite: boolean; covariance: number[][] | null } {
  const inv = invertSpd(hessian);
  if (!inv) return { se: hessian.map(() => null), positiveDefinite: false, covariance: null };
  return { se: inv.map((row, i) => (row[i] > 0 ? Math.sqrt(row[i]) : null)), positiveDefinite: true, covariance: inv };
}
