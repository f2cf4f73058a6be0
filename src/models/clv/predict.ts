/**
 * The parts of the per-customer predictions that need ₂F₁, computed once per distinct
 * (frequency, tenure) pair; SQL joins them to customers and adds P(alive) and spend
 * (queries/models/clv/score_customers.sql). For a customer with (x, tₓ, T):
 *
 *   E[Y(t)]  = coef(x) · (1 − G(t; x, T)) · P(alive)
 *   CLV      = spend · coef(x) · P(alive) · Σₘ (G(tₘ₋₁) − G(tₘ)) / (1 + d)^m,   tₘ = m months
 */
import { conditionalCoefficient, conditionalTerm, expectedPurchases, pAlive, type BgNbdParams } from './bgnbd.ts';

export interface TermOptions {
  /** Length of a CLV month in the model's time unit. */
  monthLength: number;
  horizonMonths: number;
  /** Monthly discount rate. */
  discountRate: number;
  /** Holdout length in the model's unit, when validating. */
  holdoutLength?: number;
}

export interface TermColumns {
  frequency: Float64Array;
  /** T in the model unit, as the summary computed it (the join key with frequency). */
  tenure: Float64Array;
  /** coef(x) = (a + b + x − 1) / (a − 1). */
  coef: Float64Array;
  /** 1 − G(horizon). */
  horizonFactor: Float64Array;
  /** Σₘ (G(tₘ₋₁) − G(tₘ)) / (1 + d)^m. */
  clvFactor: Float64Array;
  /** 1 − G(holdout length); NaN without a holdout. */
  holdoutFactor: Float64Array;
  /** E[X(T)]: unconditional expected repeat purchases over the customer's own tenure (calibration check). */
  expectedInTenure: Float64Array;
  /** E[X(T + holdout)] − E[X(T)]; NaN without a holdout. */
  expectedInHoldoutUnconditional: Float64Array;
}

/**
 * Computes the ₂F₁ terms for distinct (x, T) pairs. `tenure` is T in the model unit (as SQL computed it).
 *
 * @example
 * const t = predictionTerms(params, { frequency: [2], tenure: [38.86] }, { monthLength: 4.345, horizonMonths: 12, discountRate: 0.01 });
 */
export function predictionTerms(
  params: BgNbdParams,
  pairs: { frequency: ArrayLike<number>; tenure: ArrayLike<number> },
  options: TermOptions,
): TermColumns {
  const n = pairs.frequency.length;
  const out: TermColumns = {
    frequency: Float64Array.from(pairs.frequency),
    tenure: Float64Array.from(pairs.tenure),
    coef: new Float64Array(n),
    horizonFactor: new Float64Array(n),
    clvFactor: new Float64Array(n),
    holdoutFactor: new Float64Array(n),
    expectedInTenure: new Float64Array(n),
    expectedInHoldoutUnconditional: new Float64Array(n),
  };
  const discount = Array.from({ length: options.horizonMonths + 1 }, (_, m) => Math.pow(1 + options.discountRate, -m));
  const unconditional = new Map<number, number>();
  const ex = (t: number) => {
    let v = unconditional.get(t);
    if (v === undefined) {
      v = expectedPurchases(params, t);
      unconditional.set(t, v);
    }
    return v;
  };
  for (let i = 0; i < n; i++) {
    const x = pairs.frequency[i];
    const T = pairs.tenure[i];
    out.coef[i] = conditionalCoefficient(params, x);
    let previous = 1; // G(0)
    let clv = 0;
    for (let m = 1; m <= options.horizonMonths; m++) {
      const g = conditionalTerm(params, m * options.monthLength, x, T);
      clv += (previous - g) * discount[m];
      previous = g;
    }
    out.horizonFactor[i] = 1 - previous;
    out.clvFactor[i] = clv;
    out.expectedInTenure[i] = ex(T);
    if (options.holdoutLength !== undefined) {
      out.holdoutFactor[i] = 1 - conditionalTerm(params, options.holdoutLength, x, T);
      out.expectedInHoldoutUnconditional[i] = ex(T + options.holdoutLength) - ex(T);
    } else {
      out.holdoutFactor[i] = NaN;
      out.expectedInHoldoutUnconditional[i] = NaN;
    }
  }
  return out;
}

/**
 * Expected cumulative repeat purchases of a population at the end of each week, given how many
 * customers made their first purchase on each day (the tracking curve; lifetimes'
 * `expected_cumulative_transactions` with daily cohorts). Day 0 is the first day of the data; week k
 * ends with day 7k − 1, and a customer acquired on day d has been a customer for (7k − d) days then.
 */
export function expectedCumulativeByWeek(
  params: BgNbdParams,
  firstDays: { day: ArrayLike<number>; customers: ArrayLike<number> },
  weeks: number,
  unitDaysPerUnit: number,
): Float64Array {
  const maxDays = 7 * weeks;
  const ex = new Float64Array(maxDays + 1);
  for (let d = 1; d <= maxDays; d++) ex[d] = expectedPurchases(params, d / unitDaysPerUnit);
  const out = new Float64Array(weeks);
  for (let k = 1; k <= weeks; k++) {
    const end = 7 * k;
    let sum = 0;
    for (let i = 0; i < firstDays.day.length; i++) {
      const d = firstDays.day[i];
      if (d < end) sum += firstDays.customers[i] * ex[end - d];
    }
    out[k - 1] = sum;
  }
  return out;
}

/**
 * Discounted CLV of one customer (the per-customer form of what score_customers.sql computes):
 * Σₘ spend · (E[Y(tₘ)] − E[Y(tₘ₋₁)]) / (1 + d)^m over `horizonMonths` months of `monthLength`.
 *
 * @example customerLifetimeValue(bg, 24.6586, { x: 2, tx: 30.43, T: 38.86 }, { monthLength: 4.345, horizonMonths: 12, discountRate: 0.01 }) // ≈ 36.28
 */
export function customerLifetimeValue(
  params: BgNbdParams,
  expectedSpend: number,
  customer: { x: number; tx: number; T: number },
  options: Omit<TermOptions, 'holdoutLength'>,
): number {
  const terms = predictionTerms(params, { frequency: [customer.x], tenure: [customer.T] }, options);
  return expectedSpend * terms.coef[0] * terms.clvFactor[0] * pAlive(params, customer.x, customer.tx, customer.T);
}
