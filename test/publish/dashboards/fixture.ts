import { join } from 'node:path';
import { models } from '../../../src/models/index.ts';
import { createExport } from '../../../src/publish/exports/export.ts';
import type { Warehouse } from '../../../src/warehouse/index.ts';

/**
 * A small CRM whose dashboard figures were worked out by hand (see the comments and the tests).
 * Reference range: 2026-01-01 .. 2026-06-30 (181 days); its previous period is 2025-07-04 .. 2025-12-31.
 */
export const fixtureRange = { from: '2026-01-01', to: '2026-06-30' } as const;

export async function seedDashboardFixture(wh: Warehouse): Promise<void> {
  const statements = [
    `insert into employees (employee_id, name, role, team, region, is_active) values
      ('e1', 'Alice Ng', 'sales', 'North', 'EMEA', true),
      ('e2', 'Bob Ortiz', 'sales', 'West', 'AMER', true)`,
    // acquired: c1 before the range, c2..c5 inside it
    `insert into customers (customer_id, email, email_norm, email_opt_in, region, owner_id, acquisition_channel, acquired_at, created_at) values
      (1, 'c1@x.io', 'c1@x.io', true, 'EMEA', 'e1', 'web', '2025-11-10T10:00:00Z', '2025-11-10T10:00:00Z'),
      (2, 'c2@x.io', 'c2@x.io', true, 'EMEA', 'e1', 'email', '2026-01-15T10:00:00Z', '2026-01-15T10:00:00Z'),
      (3, 'c3@x.io', 'c3@x.io', true, 'AMER', 'e2', 'web', '2026-02-20T10:00:00Z', '2026-02-20T10:00:00Z'),
      (4, 'c4@x.io', 'c4@x.io', true, 'AMER', 'e2', 'referral', '2026-03-05T10:00:00Z', '2026-03-05T10:00:00Z'),
      (5, 'c5@x.io', 'c5@x.io', true, 'APAC', null, 'web', '2026-04-01T10:00:00Z', '2026-04-01T10:00:00Z')`,
    `insert into campaigns (campaign_id, name, channel, started_at, ended_at, cost, target_segment) values
      ('cp1', 'Spring email', 'email', '2026-03-01', '2026-03-31', 100.00, 'loyal'),
      ('cp2', 'Winback', 'sms', '2026-05-01', '2026-05-31', 50.00, 'at_risk')`,
    // completed revenue in range: Jan 100 · Feb 250.50 · Mar 120 · Jun 10 = 480.50; previous period: 30
    `insert into orders (order_id, customer_id, ordered_at, status, total_amount, employee_id, campaign_id) values
      ('o1', 1, '2026-01-10T09:00:00Z', 'completed', 100.00, 'e1', null),
      ('o2', 1, '2026-02-12T09:00:00Z', 'completed', 50.50, 'e1', null),
      ('o3', 2, '2026-02-14T09:00:00Z', 'completed', 200.00, null, null),
      ('o4', 3, '2026-02-25T09:00:00Z', 'cancelled', 999.00, 'e2', null),
      ('o5', 3, '2026-03-03T09:00:00Z', 'completed', 80.00, 'e2', 'cp1'),
      ('o6', 4, '2026-03-31T23:30:00Z', 'completed', 40.00, 'e2', null),
      ('o7', 5, '2026-04-02T09:00:00Z', 'returned', 70.00, null, null),
      ('o8', 1, '2025-12-20T09:00:00Z', 'completed', 30.00, 'e1', null),
      ('o9', 5, '2026-06-30T23:59:59Z', 'completed', 10.00, null, null),
      ('o10', 4, '2026-07-01T00:00:00Z', 'completed', 999.00, 'e2', null)`,
    `insert into deals (deal_id, customer_id, name, pipeline, stage, status, amount, owner_id, created_at, expected_close_date, closed_at, forecast_category) values
      ('d1', 1, 'D1', 'default', 'negotiation', 'won', 1000, 'e1', '2026-01-05T00:00:00Z', '2026-02-15', '2026-02-10T00:00:00Z', null),
      ('d2', 2, 'D2', 'default', 'proposal', 'lost', 500, 'e1', '2026-01-20T00:00:00Z', '2026-03-01', '2026-03-01T00:00:00Z', null),
      ('d3', 3, 'D3', 'default', 'negotiation', 'won', 2000, 'e2', '2026-02-01T00:00:00Z', '2026-04-01', '2026-04-15T00:00:00Z', null),
      ('d4', 4, 'D4', 'default', 'proposal', 'open', 3000, 'e2', '2026-03-01T00:00:00Z', '2026-07-15', null, 'commit'),
      ('d5', 3, 'D5', 'default', 'qualify', 'open', 1500, 'e2', '2026-04-01T00:00:00Z', '2026-08-20', null, null),
      ('d6', 1, 'D6', 'default', 'negotiation', 'won', 400, 'e1', '2025-10-01T00:00:00Z', '2025-11-15', '2025-11-15T00:00:00Z', null)`,
    `insert into deal_stage_history (deal_id, stage, entered_at, exited_at) values
      ('d1', 'qualify', '2026-01-05T00:00:00Z', '2026-01-10T00:00:00Z'),
      ('d1', 'proposal', '2026-01-10T00:00:00Z', '2026-01-25T00:00:00Z'),
      ('d1', 'negotiation', '2026-01-25T00:00:00Z', '2026-02-10T00:00:00Z'),
      ('d1', 'closed won', '2026-02-10T00:00:00Z', null),
      ('d2', 'qualify', '2026-01-20T00:00:00Z', '2026-02-01T00:00:00Z'),
      ('d2', 'proposal', '2026-02-01T00:00:00Z', '2026-03-01T00:00:00Z'),
      ('d2', 'closed lost', '2026-03-01T00:00:00Z', null),
      ('d3', 'qualify', '2026-02-01T00:00:00Z', '2026-02-15T00:00:00Z'),
      ('d3', 'proposal', '2026-02-15T00:00:00Z', '2026-03-01T00:00:00Z'),
      ('d3', 'negotiation', '2026-03-01T00:00:00Z', '2026-04-15T00:00:00Z'),
      ('d3', 'closed won', '2026-04-15T00:00:00Z', null),
      ('d4', 'qualify', '2026-03-01T00:00:00Z', '2026-03-20T00:00:00Z'),
      ('d4', 'proposal', '2026-03-20T00:00:00Z', null),
      ('d5', 'qualify', '2026-04-01T00:00:00Z', null),
      ('d6', 'qualify', '2025-10-01T00:00:00Z', '2025-10-10T00:00:00Z'),
      ('d6', 'proposal', '2025-10-10T00:00:00Z', '2025-10-20T00:00:00Z'),
      ('d6', 'negotiation', '2025-10-20T00:00:00Z', '2025-11-15T00:00:00Z')`,
    // e1 also has a yearly quota, which must be ignored (the finest period type wins)
    `insert into quotas (employee_id, period_start, period_type, quota_amount) values
      ('e1', '2026-01-01', 'quarter', 1000), ('e1', '2026-04-01', 'quarter', 1000), ('e1', '2026-01-01', 'year', 5000),
      ('e2', '2026-01-01', 'quarter', 2000), ('e2', '2026-04-01', 'quarter', 1000)`,
    `insert into tickets (ticket_id, customer_id, employee_id, category, priority, status, opened_at, first_response_at, resolved_at, satisfaction) values
      ('t1', 1, 'e1', 'billing', 'high', 'closed', '2026-01-03T08:00:00Z', '2026-01-03T10:00:00Z', '2026-01-04T08:00:00Z', 5),
      ('t2', 2, 'e1', 'billing', 'normal', 'closed', '2026-02-10T09:00:00Z', '2026-02-10T13:00:00Z', '2026-02-10T21:00:00Z', 3),
      ('t3', 3, 'e2', 'technical', 'urgent', 'open', '2026-03-15T00:00:00Z', '2026-03-15T06:00:00Z', null, null),
      ('t4', 4, 'e2', 'technical', 'low', 'open', '2026-06-30T12:00:00Z', null, null, null),
      ('t5', 1, 'e1', 'billing', 'normal', 'closed', '2025-12-01T08:00:00Z', '2025-12-01T09:00:00Z', '2025-12-01T11:00:00Z', 4)`,
    `insert into interactions (interaction_id, customer_id, employee_id, channel, direction, occurred_at) values
      ('i1', 1, 'e1', 'phone', 'outbound', '2026-01-12T10:00:00Z'),
      ('i2', 2, 'e1', 'email', 'outbound', '2026-02-01T10:00:00Z'),
      ('i3', 3, 'e2', 'meeting', 'inbound', '2026-03-02T10:00:00Z')`,
    `insert into campaign_touches (touch_id, campaign_id, customer_id, channel, sent_at, opened_at, clicked_at, converted_at) values
      ('k1', 'cp1', 1, 'email', '2026-03-02T08:00:00Z', '2026-03-02T09:00:00Z', '2026-03-02T09:05:00Z', '2026-03-05T10:00:00Z'),
      ('k2', 'cp1', 2, 'email', '2026-03-02T08:00:00Z', '2026-03-03T09:00:00Z', null, null),
      ('k3', 'cp1', 3, 'email', '2026-03-02T08:00:00Z', null, null, null),
      ('k4', 'cp2', 4, 'sms', '2026-05-02T08:00:00Z', '2026-05-02T08:30:00Z', '2026-05-02T08:31:00Z', null)`,
    // monthly churn: range Jan..Jun active at month start 3,4,3,2,2,2 = 16, churned 2 → 0.125;
    // previous Aug..Dec 2025: 2,3,3,3,3 = 14, churned 1 → 1/14
    `insert into subscriptions (subscription_id, customer_id, plan, mrr, started_at, cancelled_at) values
      ('s1', 1, 'pro', 50, '2025-06-01T00:00:00Z', '2026-02-15T00:00:00Z'),
      ('s2', 2, 'basic', 20, '2025-12-01T00:00:00Z', null),
      ('s3', 3, 'basic', 20, '2026-01-10T00:00:00Z', '2026-03-20T00:00:00Z'),
      ('s4', 4, 'pro', 50, '2025-01-01T00:00:00Z', '2025-12-10T00:00:00Z'),
      ('s5', 5, 'basic', 20, '2025-08-01T00:00:00Z', null)`,
    `insert into pipeline_runs (run_id, pipeline, entity, status, started_at, finished_at, duration_ms, rows_read, rows_inserted, rows_updated, rows_quarantined, error) values
      (1, 'crm_customers', 'customers', 'succeeded', '2026-06-29T02:00:00Z', '2026-06-29T02:00:05Z', 5000, 6, 5, 0, 1, null),
      (2, 'shop_orders', 'orders', 'failed', '2026-06-30T02:00:00Z', '2026-06-30T02:00:01Z', 1000, 0, 0, 0, 0, 'orders.csv: file not found'),
      (3, 'shop_orders', 'orders', 'succeeded', '2026-06-30T03:00:00Z', '2026-06-30T03:00:10Z', 10000, 12, 10, 0, 2, null)`,
    `insert into quarantine (run_id, pipeline, source_file, row_number, field, reason) values
      (1, 'crm_customers', 'customers.csv', 4, 'email', 'not an e-mail address'),
      (1, 'crm_customers', 'customers.csv', 4, 'country', 'required'),
      (3, 'shop_orders', 'orders.csv', 7, 'ordered_at', 'cannot read ''2026-13-01'' as date'),
      (3, 'shop_orders', 'orders.csv', 9, 'ordered_at', 'cannot read ''2026-02-30'' as date')`,
    `update warehouse_meta set value = '1' where key = 'data_version'`,
  ];
  for (const sql of statements) await wh.run(sql);
}

/**
 * Model outputs for the model panels: CLV scores by hand (BG/NBD cannot be fitted on five customers),
 * the rest from the real models — segments as of 2026-05-31 and 2026-06-30 (two runs, for migration),
 * retention and forecasts as of 2026-06-30 — and one export of `lapsed-90d` for campaign cp1 with a
 * holdout (seed 'e' splits the four eligible customers two and two), for the lift panel.
 */
export async function seedModelOutputs(wh: Warehouse, dir: string): Promise<void> {
  await wh.run(`insert into customer_value (run_id, as_of_date, customer_id, time_unit, first_purchase_date, last_purchase_date, frequency, recency, tenure,
      monetary_value, total_revenue, p_alive, expected_purchases, horizon_months, expected_mean_spend, clv, churn_tier, value_percentile, is_high_value, is_falling) values
    (1, '2026-06-30', 1, 'week', '2025-12-20', '2026-02-12', 2, 7.7, 27.4, 75.25, 180.5, 0.8, 1.2, 12, 70.0, 84.0, 'champion', 1.0, true, false),
    (1, '2026-06-30', 3, 'week', '2026-03-03', '2026-03-03', 0, 0, 17.0, 0, 80, 1.0, 0.5, 12, 60.0, 30.0, 'new', 0.5, false, false)`);
  const byName = new Map(models.map((m) => [m.name, m]));
  for (const asOf of ['2026-05-31', '2026-06-30']) {
    await byName.get('segments')!.run(wh, { asOf });
    await byName.get('forecast')!.run(wh, { asOf });
  }
  await byName.get('retention')!.run(wh, { asOf: '2026-06-30' });
  await createExport(wh, { segment: 'lapsed-90d', channel: 'email', out: join(dir, 'lapsed-cp1.csv'), holdout: 0.5, campaign: 'cp1', seed: 'e', asOf: '2026-06-30' });
  await wh.run(`update warehouse_meta set value = cast(cast(value as integer) + 1 as varchar) where key = 'data_version'`);
}
