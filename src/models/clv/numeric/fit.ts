import { hessianFromGradient, minimise, standardErrors, type ObjectiveWithGradient } from './optimize.ts';

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
  const theta0 = Float64Array.from(start, (v) => Math.log(v));
  // gtol on the mean −LL in log-parameters: 1e-8 is far below what moves an estimate in its 4th digit, and
  // above the rounding noise of sums over millions of customers.
  const result = minimise(objective, theta0, { maxIterations: options.maxIterations ?? 1000, gtol: 1e-8 });
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

  const hessian = hessianFromGradient(negLogLik, estimate);
  const { se, positiveDefinite, covariance } = standardErrors(hessian);
  if (!positiveDefinite) {
    warnings.push('the Hessian of the likelihood is not positive definite at the estimate: the likelihood is flat in some direction, so standard errors are not available');
    if (converged) {
      converged = false;
      message = 'likelihood is flat at the optimum (Hessian not positive definite)';
    }
  }
  const ll = -negLogLik(estimate, new Float64Array(k));
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
