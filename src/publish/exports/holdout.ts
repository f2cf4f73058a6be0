import { createHash } from 'node:crypto';
import { sql, type RawBuilder } from 'kysely';

/**
 * The holdout control group: a customer is held out when
 *   u = first 52 bits of md5("<key>:<customer_id>") / 2^52  <  share
 * where key = "campaign:<id>:<seed>" (or "segment:<name>:<seed>" without a campaign). md5 is stable
 * across DuckDB versions and machines (unlike hash()), so the same customer is held out of the same
 * campaign on every re-run and every re-export, whatever else is in the list; a different campaign
 * or seed draws an independent group. The JS twin below computes the same number, for tests and audits.
 */

export function holdoutKey(o: { campaign?: string; segment: string; seed?: string }): string {
  return o.campaign !== undefined ? `campaign:${o.campaign}:${o.seed ?? ''}` : `segment:${o.segment}:${o.seed ?? ''}`;
}

const TWO_52 = 4503599627370496;

/** u in [0, 1) for a customer, in SQL (customer id column given). */
export function holdoutDraw(key: string, customerId: RawBuilder<unknown>): RawBuilder<number> {
  return sql<number>`cast(('0x' || substr(md5(${`${key}:`} || cast(${customerId} as varchar)), 1, 13)) as bigint) / ${TWO_52}::double`;
}

/** The same draw in JS. */
export function holdoutDrawJs(key: string, customerId: number | string): number {
  const hex = createHash('md5').update(`${key}:${customerId}`).digest('hex').slice(0, 13);
  return parseInt(hex, 16) / TWO_52;
}
