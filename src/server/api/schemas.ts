/** Small zod building blocks for query strings and path parameters (values arrive as strings). */
import { z } from 'zod';

/** A single string of at most `max` characters without control characters (a repeated query key is an error). */
export const text = (max: number) =>
  z
    .string()
    .max(max)
    .regex(/^[^\u0000-\u001f\u007f]*$/, 'control characters are not allowed');

/** An integer in [min, max], as a number (JSON) or as digits (query string); the bounds show in the OpenAPI document. */
const boundedInt = (min: number, max: number) => {
  const n = z.int().min(min).max(max);
  return z.union([n, z.string().regex(/^\d{1,16}$/, 'expected a whole number').transform(Number).pipe(n)]).describe(`a whole number from ${min} to ${max}`);
};

/** An integer query parameter in [min, max] with a default. */
export const intQuery = (min: number, max: number, dflt: number) => boundedInt(min, max).default(dflt);

/** An optional integer query parameter in [min, max]. */
export const optionalInt = (min: number, max: number) => boundedInt(min, max).optional();

export const isoDate = z.iso.date('a date as YYYY-MM-DD');

/** A positive integer id in the path. */
export const idParam = (name: string) =>
  z.object({ [name]: z.string().regex(/^\d{1,15}$/, 'expected a positive whole number').transform(Number).pipe(z.int().min(1)) }).strict();

export const customerIdParam = z.object({ id: z.string().regex(/^\d{1,15}$/, 'expected a customer id (digits)').transform(Number) }).strict();

/** A kebab/snake-case name in the path (segments, reports, dashboards, jobs, models). */
export const slug = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/, 'expected a name of letters, digits, - and _');
export const nameParam = (name: string) => z.object({ [name]: slug }).strict();
