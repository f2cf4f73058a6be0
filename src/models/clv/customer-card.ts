/**
 * The customer card (`crm customer <id>`): who the customer is, what the models say about them
 * (CLV, P(alive), churn tier) and their history across orders, interactions, tickets, deals, campaign
 * touches and subscriptions (the customer-timeline report), oldest first.
 */
import { AppError } from '../../errors.ts';
import { sqlFile, type Row, type Warehouse } from '../../warehouse/index.ts';
import { runReport, type ReportRow } from '../reports/index.ts';

export interface CustomerValueRow {
  run_id: number;
  as_of_date: string;
  frequency: number;
  recency: number;
  tenure: number;
  time_unit: string;
  monetary_value: number;
  total_revenue: number;
  p_alive: number;
  expected_purchases: number;
  horizon_months: number;
  expected_mean_spend: number;
  clv: number;
  churn_tier: string;
  value_percentile: number;
  reason: string | null;
  p_alive_previous: number | null;
}

export interface CustomerCard {
  profile: Row;
  /** Null when the customer has no score in the latest clv run (no purchase by then, or clv never run). */
  value: CustomerValueRow | null;
  /** Events oldest first (the most recent `limit`). */
  history: ReportRow[];
  truncated: boolean;
}

/**
 * Resolves what a user typed: a warehouse customer id (digits), an e-mail address, or an external id
 * of a source system (`system:id` or a bare id found in exactly one system).
 */
export async function resolveCustomer(wh: Warehouse, key: string): Promise<number> {
  const k = key.trim();
  if (/^\d+$/.test(k)) {
    const [row] = await wh.all<{ n: number }>('select count(*) as n from customers where customer_id = $id', { id: Number(k) });
    if (row.n) return Number(k);
  }
  if (k.includes('@')) {
    const rows = await wh.all<{ customer_id: number }>('select customer_id from customers where email_norm = lower(trim($e)) order by customer_id', { e: k });
    if (rows.length === 1) return rows[0].customer_id;
    if (rows.length > 1) throw new AppError('VALIDATION', `${rows.length} customers have the e-mail ${k}: ${rows.map((r) => r.customer_id).join(', ')}; give the customer id`);
  }
  const [system, external] = k.includes(':') ? [k.slice(0, k.indexOf(':')), k.slice(k.indexOf(':') + 1)] : [null, k];
  const matches = await wh.all<{ customer_id: number; source_system: string }>(
    'select distinct customer_id, source_system from customer_sources where external_id = $x and ($s is null or source_system = $s) order by 1',
    { x: external, s: system },
  );
  const ids = [...new Set(matches.map((m) => m.customer_id))];
  if (ids.length === 1) return ids[0];
  if (ids.length > 1) {
    throw new AppError('VALIDATION', `"${k}" is an external id of several customers (${matches.map((m) => `${m.source_system}: ${m.customer_id}`).join(', ')}); write system:id`);
  }
  throw new AppError('NOT_FOUND', `no customer "${k}" (looked for a customer id, an e-mail and an external id)`);
}

/** @example const card = await customerCard(wh, '42', { limit: 50 }); card.value?.clv */
export async function customerCard(wh: Warehouse, key: string, options: { limit?: number } = {}): Promise<CustomerCard> {
  const customerId = await resolveCustomer(wh, key);
  const [profile] = await wh.all<Row>(sqlFile('models/clv/customer_profile'), { customer_id: customerId });
  const [value] = await wh.all<CustomerValueRow>(
    `select v.run_id, v.as_of_date, v.frequency, v.recency, v.tenure, v.time_unit, v.monetary_value, v.total_revenue, v.p_alive,
            v.expected_purchases, v.horizon_months, v.expected_mean_spend, v.clv, v.churn_tier, v.value_percentile, r.reason, v.p_alive_previous
     from customer_value as v left join churn_risk as r on r.customer_id = v.customer_id and r.run_id = v.run_id
     where v.customer_id = $id`,
    { id: customerId },
  );
  const timeline = await runReport(wh, 'customer-timeline', { customer_id: customerId, limit: options.limit ?? 50 });
  return { profile, value: value ?? null, history: [...timeline.rows].reverse(), truncated: timeline.meta.truncated };
}
