import { z } from 'zod';
import { fromZodError } from '../../errors.ts';

const isoDay = z.iso.date({ message: 'expected a date YYYY-MM-DD' });

/**
 * Parameters of a CLV run. Everything has a default except what depends on the data
 * (the calibration end defaults to the last day with a completed order).
 */
export const clvParamsSchema = z
  .object({
    /** Last day of the calibration window (inclusive); the as-of date of the scores. */
    calibrationEnd: isoDay.optional(),
    /** Last day of the holdout window (inclusive); enables the validation report. */
    holdoutEnd: isoDay.optional(),
    /** Time unit of recency, tenure and the fitted rates: weeks are days / 7 rounded to 2 decimals. */
    unit: z.enum(['week', 'day']).default('week'),
    /**
     * What counts as one purchase: a purchase day (the orders of a customer on one UTC day, the CDNOW /
     * lifetimes convention) or every order at its exact time (for customers who buy several times a day).
     */
    granularity: z.enum(['day', 'order']).default('day'),
    /** Purchase value for the spend model and CLV: net of refund lines (default) or gross (the order total). */
    spendValue: z.enum(['net', 'gross']).default('net'),
    /** CLV and expected-purchases horizon in months of 4.345 weeks (30.415 days). */
    horizonMonths: z.int().min(1).max(240).default(12),
    /** Monthly discount rate for CLV (0.01 = 1 % a month). */
    discountRate: z.number().min(0).max(1).default(0.01),
    /** Customers at or above this revenue percentile are "high value" for churn tiers. */
    highValuePercentile: z.number().gt(0).lt(1).default(0.8),
    /** P(alive) bands for churn tiers: below `lost` is lost, below `alive` is slipping / at risk. */
    pAliveLost: z.number().gt(0).lt(1).default(0.3),
    pAliveAlive: z.number().gt(0).lt(1).default(0.7),
    /** A drop of P(alive) by at least this much since the previous run marks a customer as falling. */
    fallingDrop: z.number().gt(0).lt(1).default(0.15),
    /** One-time buyers whose first purchase is at most this many days old are "new". */
    newCustomerDays: z.int().min(0).default(90),
    /**
     * Replace customer_value / churn_risk with this run's scores. Defaults to true without a
     * holdout (scoring) and false with one (a back-test should not overwrite current scores).
     */
    save: z.boolean().optional(),
  })
  .strict()
  .refine((p) => p.pAliveLost < p.pAliveAlive, { message: 'pAliveLost must be below pAliveAlive', path: ['pAliveLost'] })
  .refine((p) => !p.holdoutEnd || !p.calibrationEnd || p.holdoutEnd > p.calibrationEnd, {
    message: 'the holdout end must be after the calibration end',
    path: ['holdoutEnd'],
  });

export type ClvParamsInput = z.input<typeof clvParamsSchema>;
export type ClvParams = z.output<typeof clvParamsSchema>;

/** Validates CLV parameters (from flags or the API), naming the offending key. */
export function parseClvParams(input: unknown, source = 'clv parameters'): ClvParams {
  const parsed = clvParamsSchema.safeParse(input);
  if (!parsed.success) throw fromZodError(parsed.error, source);
  return parsed.data;
}

/** Days per model time unit. */
export const unitDays = { week: 7, day: 1 } as const;
/** A CLV month: 4.345 weeks, as lifetimes' `freq="W"` CLV uses; the same length in day units. */
export const MONTH_WEEKS = 4.345;
