/**
 * Row rules in SQL. A user's rule (region, rep) becomes a predicate over the customers table, added to
 * the WHERE clause of every query that reads customer rows — never a filter over rows already in JS.
 */
import { sql, type RawBuilder, type SqlBool } from 'kysely';
import { AppError } from '../../errors.ts';
import type { Queryable } from '../../warehouse/index.ts';
import type { RowRule } from './store.ts';

export const unrestricted = (r: RowRule) => r.region === null && r.rep === null;

/** `c.region = … and c.owner_id = …` over the customers alias `c` (true when unrestricted). */
export function rowPredicate(rule: RowRule, alias = 'c'): RawBuilder<SqlBool> {
  const parts: RawBuilder<SqlBool>[] = [];
  if (rule.region !== null) parts.push(sql<SqlBool>`${sql.ref(`${alias}.region`)} = ${rule.region}`);
  if (rule.rep !== null) parts.push(sql<SqlBool>`${sql.ref(`${alias}.owner_id`)} = ${rule.rep}`);
  return parts.length ? sql<SqlBool>`(${sql.join(parts, sql` and `)})` : sql<SqlBool>`true`;
}

/** The same predicate as plain SQL with named parameters `$rr_region`, `$rr_rep` (for static SQL strings). */
export function rowPredicateSql(rule: RowRule, alias = 'c'): { sql: string; params: Record<string, string> } {
  const parts: string[] = [];
  const params: Record<string, string> = {};
  if (rule.region !== null) {
    parts.push(`${alias}.region = $rr_region`);
    params.rr_region = rule.region;
  }
  if (rule.rep !== null) {
    parts.push(`${alias}.owner_id = $rr_rep`);
    params.rr_rep = rule.rep;
  }
  return { sql: parts.length ? `(${parts.join(' and ')})` : 'true', params };
}

/** Throws NOT_FOUND unless the customer exists and the rule lets the user see them (outside the rule looks the same as missing). */
export async function requireVisibleCustomer(q: Queryable, rule: RowRule, customerId: number): Promise<void> {
  const p = rowPredicateSql(rule);
  const [row] = await q.all<{ n: number }>(`select count(*) as n from customers c where c.customer_id = $id and ${p.sql}`, { id: customerId, ...p.params });
  if (!row.n) throw new AppError('NOT_FOUND', `no customer ${customerId}`);
}
