import { hessianFromGradient, invertSpd, lbfgs, minimise, standardErrors, type ObjectiveWithGradient, type OptimiseResult } from './optimize.ts';

/** A maximum-likelihood fit of positive parameters, with its diagnostics. */
export interface FitResult<K extends string = string> {
  params: Record<K, number>;
  /** From the numeric Hessian of −LL; null when it is not positive definite. */
  stdErrors: Record<K, number | null>;
  /** Inverse Hessian of −LL (asymptotic covariance), in parameter order; null when not positive definite. */
  covariance: number[][] | null;
  logLikelihood: number;
  converged: boolean;
  iterations: number;
  evaluations: number;
  /** Max |gradient| of the mean −LL in log-parameter space at the end. */
  gradientNorm: number;
  message: string;
  nObservations: number;
  nDistinct: number;
  warnings: string[];
}

export interface PositiveFitOptions {
  /** Parameters outside [min, max] at the optimum mean the likelihood ran off to a boundary. */
  bounds?: [number, number];
  maxIterations?: number;
  /**
   * −LL of a weighted subsample (same parameters) to find the neighbourhood of the optimum cheaply
   * before the full data are touched; only its location is used, never its estimates.
   */
  warmStart?: { negLogLik: ObjectiveWithGradient; nObservations: number };
  /**
   * −LL and its analytic Hessian (natural parameters) at p, in one pass over the data: used for the
   * standard errors and the final log-likelihood instead of a central-difference Hessian of the gradient.
   */
  hessian?: (p: Float64Array) => { value: number; hessian: number[][] };
}

/**
 * Maximises a log-likelihood over positive parameters in log space (θ = ln p), with L-BFGS and a
 * Nelder–Mead restart, then standard errors from the numeric Hessian in natural parameters.
 *
 * `negLogLik(p, grad)` returns −LL at natural parameters p and writes d(−LL)/dp into grad.
 * `n` is the number of observations (weights), used to scale the objective to a mean.
 */
export function fitPositive<K extends string>(
  names: readonly K[],
  negLogLik: ObjectiveWithGradient,
  start: readonly number[],
  counts: { nObservations: number; nDistinct: number },
  options: PositiveFitOptions = {},
): FitResult<K> {
  const k = names.length;
  const scale = Math.max(1, counts.nObservations);
  const p = new Float64Array(k);
  const gp = new Float64Array(k);
  const objective: ObjectiveWithGradient = (theta, grad) => {
    for (let i = 0; i < k; i++) p[i] = Math.exp(theta[i]);
    const v = negLogLik(p, gp);
    if (!Number.isFinite(v)) return Infinity;
    for (let i = 0; i < k; i++) grad[i] = (gp[i] * p[i]) / scale;
    return v / scale;
  };
  let theta0: Float64Array = Float64Array.from(start, (v) => Math.log(v));
  let warmHessianInverse: number[][] | null = null;
  if (options.warmStart) {
    const warm = options.warmStart;
    const wScale = Math.max(1, warm.nObservations);
    const warmObjective: ObjectiveWithGradient = (theta, grad) => {
      for (let i = 0; i < k; i++) p[i] = Math.exp(theta[i]);
      const v = warm.negLogLik(p, gp);
      if (!Number.isFinite(v)) return Infinity;
      for (let i = 0; i < k; i++) grad[i] = (gp[i] * p[i]) / wScale;
      return v / wScale;
    };
    const pre = lbfgs(warmObjective, theta0, { maxIterations: 200, gtol: 1e-6 });
    if (Number.isFinite(pre.value) && pre.x.every(Number.isFinite)) {
      theta0 = pre.x;
      // The subsample's curvature is close to the full data's (both are means): Newton steps with it
      // finish the fit in a few full passes instead of rebuilding curvature from scratch.
      warmHessianInverse = invertSpd(hessianFromGradient(warmObjective, pre.x));
    }
  }
  // gtol on the mean −LL in log-parameters: far below what moves an estimate in its 5th digit, and above
  // the rounding noise of the sums (which grows with the number of distinct rows).
  const gtol = counts.nDistinct > 100_000 ? 1e-6 : 1e-8;
  const newton = warmHessianInverse ? newtonPolish(objective, theta0, warmHessianInverse, gtol) : null;
  const result = newton?.converged ? newton : minimise(objective, newton?.x ?? theta0, { maxIterations: options.maxIterations ?? 1000, gtol });
  const estimate = Float64Array.from(result.x, (t) => Math.exp(t));
  const warnings: string[] = [];
  let converged = result.converged && Number.isFinite(result.value);
  let message = result.message;

  const [lo, hi] = options.bounds ?? [1e-6, 1e6];
  const atBoundary = names.filter((_, i) => !(estimate[i] > lo && estimate[i] < hi));
  if (atBoundary.length) {
    converged = false;
    message = `parameter${atBoundary.length > 1 ? 's' : ''} ${atBoundary.join(', ')} ran to the edge of the parameter space (${atBoundary
      .map((n) => `${n} = ${estimate[names.indexOf(n)].toPrecision(3)}`)
      .join(', ')}): the data do not identify ${atBoundary.length > 1 ? 'them' : 'it'}`;
  }

  const analytic = options.hessian?.(estimate);
  const hessian = analytic && analytic.hessian.length === k ? analytic.hessian : hessianFromGradient(negLogLik, estimate);
  const { se, positiveDefinite, covariance } = standardErrors(hessian);
  if (!positiveDefinite) {
    warnings.push('the Hessian of the likelihood is not positive definite at the estimate: the likelihood is flat in some direction, so standard errors are not available');
    if (converged) {
      converged = false;
      message = 'likelihood is flat at the optimum (Hessian not positive definite)';
    }
  }
  const ll = analytic ? -analytic.value : -negLogLik(estimate, new Float64Array(k));
  return {
    params: Object.fromEntries(names.map((n, i) => [n, estimate[i]])) as Record<K, number>,
    stdErrors: Object.fromEntries(names.map((n, i) => [n, se[i]])) as Record<K, number | null>,
    covariance,
    logLikelihood: ll,
    converged,
    iterations: result.iterations,
    evaluations: result.evaluations,
    gradientNorm: result.gradientNorm,
    message,
    nObservations: counts.nObservations,
    nDistinct: counts.nDistinct,
    warnings,
  };
}

/**
 * Quasi-Newton steps with a fixed inverse Hessian (from a subsample), each halved until f decreases.
 * Returns converged when the gradient falls below gtol within a few steps; otherwise the caller
 * continues with the general optimiser from where this stopped.
 */
function newtonPolish(f: ObjectiveWithGradient, x0: Float64Array, hInv: number[][], gtol: number): OptimiseResult {
  const n = x0.length;
  let x = Float64Array.from(x0);
  let g = new Float64Array(n);
  let value = f(x, g);
  let evaluations = 1;
  const maxAbs = (v: Float64Array) => v.reduce((m, e) => Math.max(m, Math.abs(e)), 0);
  for (let iteration = 0; iteration < 8; iteration++) {
    if (maxAbs(g) <= gtol) {
      return { x, value, converged: true, iterations: iteration, evaluations, gradientNorm: maxAbs(g), message: 'gradient below tolerance (Newton steps from a subsample fit)' };
    }
    const step = hInv.map((row) => -row.reduce((s, h, j) => s + h * g[j], 0));
    let accepted = false;
    for (let t = 1; t > 1e-4; t /= 2) {
      const y = Float64Array.from(x, (v, i) => v + t * step[i]);
      const gy = new Float64Array(n);
      const fy = f(y, gy);
      evaluations++;
      if (Number.isFinite(fy) && fy <= value) {
        x = y;
        g = gy;
        value = fy;
        accepted = true;
        break;
      }
    }
    if (!accepted) break;
  }
  return { x, value, converged: maxAbs(g) <= gtol, iterations: 8, evaluations, gradientNorm: maxAbs(g), message: 'Newton steps from a subsample fit' };
}
