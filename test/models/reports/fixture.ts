import type { Warehouse } from '../../../src/warehouse/index.ts';

/**
 * A small hand-made CRM for the report tests (range of interest: Q1 2024, 2024-01-01 … 2024-03-31,
 * 91 days, 13 whole weeks starting Monday 1 January). Every figure the tests assert is worked out by
 * hand in the test files from these rows.
 *
 * Employees: E1 Ann (North, EMEA, manager E3), E2 Bob (North, EMEA, manager E3), E3 Cid (South, APAC).
 * Customers: 1 EMEA/DE (acquired 2024-01-02 by C1), 2 EMEA/FR, 3 APAC/JP (acquired 2024-02-10 by C1),
 * 4 APAC (acquired 2023-12-01 by C2). C1 acquired customers 1 and 3 → acquisition cost 300 / 2 = 150 each.
 * Products: P1 Widget/Tools cost 20, P2 Gadget/Toys cost 5, P3 Thing/Toys no cost.
 */
export async function seedReportsFixture(wh: Warehouse): Promise<void> {
  await wh.run(`insert into employees (employee_id, name, team, region, manager_id) values
    ('E1', 'Ann', 'North', 'EMEA', 'E3'), ('E2', 'Bob', 'North', 'EMEA', 'E3'), ('E3', 'Cid', 'South', 'APAC', null)`);
  // E1: quarter Q1 2024 (91 days, 100/day) and January 2024 (finer: 2000 for Jan); E2: year 2024 (366 days, 100/day).
  await wh.run(`insert into quotas (employee_id, period_start, period_type, quota_amount) values
    ('E1', '2024-01-01', 'quarter', 9100), ('E1', '2024-01-01', 'month', 2000), ('E2', '2024-01-01', 'year', 36600)`);
  await wh.run(`insert into campaigns (campaign_id, name, channel, started_at, cost, target_segment) values
    ('C1', 'Spring', 'email', '2023-12-15', 300, 'all'), ('C2', 'Fall', 'sms', '2024-02-01', 100, 'vip'), ('C3', 'Old', 'email', '2023-06-01', 50, 'all')`);
  await wh.run(`insert into customers (customer_id, region, country, acquisition_channel, acquisition_campaign_id, acquired_at, created_at) values
    (1, 'EMEA', 'DE', 'email', 'C1', '2024-01-02T00:00:00Z', '2023-12-15T00:00:00Z'),
    (2, 'EMEA', 'FR', 'web', null, null, null),
    (3, 'APAC', 'JP', 'email', 'C1', '2024-02-10T00:00:00Z', null),
    (4, 'APAC', 'JP', 'sms', 'C2', '2023-12-01T00:00:00Z', null)`);
  await wh.run(`insert into products (product_id, name, category, list_price, unit_cost) values
    ('P1', 'Widget', 'Tools', 50, 20), ('P2', 'Gadget', 'Toys', 15, 5), ('P3', 'Thing', 'Toys', 30, null)`);
  await wh.run(`insert into orders (order_id, customer_id, ordered_at, status, channel, total_amount, item_count, employee_id, campaign_id) values
    ('o1', 1, '2024-01-05T10:00:00Z', 'completed', 'web', 100, 2, 'E1', 'C1'),
    ('o2', 1, '2024-02-10T10:00:00Z', 'completed', 'web', 60, 3, 'E1', null),
    ('o3', 2, '2024-02-15T10:00:00Z', 'completed', 'store', 40, 1, 'E2', null),
    ('o4', 3, '2024-03-20T10:00:00Z', 'completed', 'web', 200, 4, 'E3', null),
    ('o5', 2, '2024-03-01T10:00:00Z', 'returned', 'store', 25, 1, 'E2', null),
    ('o6', 3, '2024-03-25T10:00:00Z', 'cancelled', 'web', 999, 1, 'E3', null),
    ('o7', 1, '2023-12-31T23:00:00Z', 'completed', 'web', 500, 1, 'E1', null),
    ('o8', 2, '2024-03-31T23:59:00Z', 'completed', 'web', 10, 1, 'E2', null)`);
  await wh.run(`insert into order_lines (order_id, line_no, product_id, quantity, unit_price, line_amount) values
    ('o1', 1, 'P1', 2, 50, 100),
    ('o2', 1, 'P2', 2, 15, 30), ('o2', 2, 'P3', 1, 30, 30),
    ('o3', 1, 'P2', 1, 40, 40),
    ('o4', 1, 'P1', 4, 50, 200),
    ('o5', 1, 'P2', 1, 25, 25),
    ('o6', 1, 'P1', 1, 999, 999),
    ('o7', 1, 'P1', 10, 50, 500),
    ('o8', 1, 'P2', 1, 10, 10)`);
  await wh.run(`insert into interactions (interaction_id, customer_id, employee_id, channel, direction, occurred_at, duration_seconds) values
    ('i1', 1, 'E1', 'phone', 'outbound', '2024-01-08T09:00:00Z', 600),
    ('i2', 1, 'E1', 'email', 'outbound', '2024-01-09T09:00:00Z', null),
    ('i3', 2, 'E2', 'phone', 'inbound', '2024-02-01T09:00:00Z', 300),
    ('i4', 3, 'E3', 'meeting', 'outbound', '2024-03-05T09:00:00Z', 3600),
    ('i5', 3, null, 'chat', 'inbound', '2024-03-06T09:00:00Z', 120),
    ('i6', 1, 'E1', 'phone', 'outbound', '2023-11-01T09:00:00Z', 60)`);
  await wh.run(`insert into tickets (ticket_id, customer_id, employee_id, channel, category, priority, status, opened_at, first_response_at, resolved_at, satisfaction) values
    ('k1', 1, 'E2', 'email', 'billing', 'high', 'closed', '2024-01-10T00:00:00Z', '2024-01-10T02:00:00Z', '2024-01-11T00:00:00Z', 5),
    ('k2', 3, 'E3', 'phone', 'tech', 'urgent', 'resolved', '2024-03-02T00:00:00Z', '2024-03-02T01:00:00Z', '2024-03-02T10:00:00Z', 2),
    ('k3', 3, 'E3', 'email', 'tech', 'normal', 'open', '2024-03-03T00:00:00Z', '2024-03-03T04:00:00Z', null, null)`);
  await wh.run(`insert into deals (deal_id, customer_id, pipeline, stage, status, amount, owner_id, created_at, closed_at, expected_close_date, lost_reason, campaign_id) values
    ('D1', 1, 'New Business', 'Closed Won', 'won', 1000, 'E1', '2024-01-03T00:00:00Z', '2024-01-23T00:00:00Z', null, null, null),
    ('D2', 2, 'New Business', 'Closed Lost', 'lost', 400, 'E1', '2024-01-10T00:00:00Z', '2024-02-09T00:00:00Z', null, 'price', null),
    ('D3', 2, 'New Business', 'Closed Won', 'won', 600, 'E2', '2023-12-01T00:00:00Z', '2024-02-01T12:00:00Z', null, null, null),
    ('D4', 2, 'New Business', 'Qualification', 'open', 300, 'E2', '2024-02-01T00:00:00Z', null, '2024-03-15', null, null),
    ('D5', 3, 'New Business', 'Closed Won', 'won', 2000, 'E3', '2024-03-01T00:00:00Z', '2024-03-11T00:00:00Z', null, null, 'C1'),
    ('D6', 1, 'New Business', 'Closed Won', 'won', 700, 'E1', '2024-02-20T00:00:00Z', '2024-04-02T00:00:00Z', null, null, null)`);
  await wh.run(`insert into campaign_touches (touch_id, campaign_id, customer_id, channel, sent_at, opened_at, clicked_at, converted_at) values
    ('T1', 'C1', 1, 'email', '2024-01-01T08:00:00Z', '2024-01-02T08:00:00Z', null, null),
    ('T2', 'C1', 2, 'email', '2024-01-01T08:00:00Z', '2024-01-03T08:00:00Z', '2024-01-03T09:00:00Z', '2024-01-05T08:00:00Z'),
    ('T3', 'C1', 3, 'email', '2024-01-01T08:00:00Z', null, null, null),
    ('T4', 'C1', 4, 'email', '2023-12-20T08:00:00Z', null, null, null),
    ('T5', 'C3', 1, 'email', '2023-06-05T08:00:00Z', null, null, null)`);
}

/** A segments run (the RFM segments the `segment` dimension reads): customer 1 Champions, 3 At Risk, 2 and 4 none. */
export async function seedSegments(wh: Warehouse): Promise<void> {
  await wh.run(`insert into segment_runs (run_id, as_of, status, params, started_at) values
    (1, '2023-12-31', 'succeeded', '{}', now()), (2, '2024-03-31', 'failed', '{}', now())`);
  await wh.run(`insert into rfm_scores (run_id, as_of, customer_id, last_order_at, recency_days, frequency, monetary, r_score, f_score, m_score, fm_score, rfm_cell, rfm_segment, rfm_label) values
    (1, '2023-12-31', 1, '2023-12-31T23:00:00Z', 0, 1, 500, 5, 5, 5, 5, '555', 'champions', 'Champions'),
    (1, '2023-12-31', 3, '2023-06-01T00:00:00Z', 200, 1, 10, 1, 1, 1, 1, '111', 'at_risk', 'At Risk')`);
}
