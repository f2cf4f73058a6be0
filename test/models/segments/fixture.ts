import type { Warehouse } from '../../../src/warehouse/index.ts';

/**
 * A small warehouse whose answers are worked out by hand in the tests (as of 2026-06-30).
 *
 * Purchases (completed unless noted) per customer — recency is days to 2026-06-30:
 *   1  06-29 100                                   R 1   F 1  M 100   (+ 07-05 999: after as-of, ignored)
 *   2  06-20 50, 06-25 50 (line: shoes)            R 5   F 2  M 100
 *   3  05-01 300                                   R 60  F 1  M 300   (+ 06-28 cancelled, ignored)
 *   4  06-01 20, 06-10 20, 06-20 20                R 10  F 3  M 60
 *   5  01-31 500, 02-01 500                        R 149 F 2  M 1000
 *   6  2025-06-30 10                               R 365 F 1  M 10
 *   7  03-01 100 (shoes), 04-01, 05-01, 06-25 100  R 5   F 4  M 400
 *   8  03-02 50                                    R 120 F 1  M 50
 *   9  05-10 100 (bags), 06-10 100                 R 20  F 2  M 200
 *   10 2025-12-01, 01-01, 02-01, 03-01, 04-01 × 50 R 90  F 5  M 250
 *   11, 12: no purchases
 *
 * Contact data (email channel): 1,2,3,10,11 contactable; 4 do_not_contact (and unsubscribed);
 * 5 unsubscribed; 6 opt-in unknown; 12 opt-in false; 7 no e-mail; 8 malformed e-mail;
 * 9 the same normalised e-mail as 1 (duplicate).
 */
export const AS_OF = '2026-06-30';

export async function seedFixture(wh: Warehouse): Promise<void> {
  await wh.run(`
    insert into customers (customer_id, first_name, last_name, email, email_norm, phone, phone_norm, street, postal_code, city, country, region,
      industry, acquisition_channel, acquired_at, email_opt_in, sms_opt_in, phone_opt_in, do_not_contact, unsubscribed_at) values
    (1, 'Ada', 'Åström, "Ada"', 'ada@example.com', 'ada@example.com', '+49 30 1111111', '3011111110', 'Hauptstr. 1', '10115', 'Berlin', 'DE', 'EMEA', 'retail', 'web', '2026-06-15 10:00:00+00', true, true, true, false, null),
    (2, chr(13) || 'Bo', '-2+3+cmd|'' /C calc''!A0', 'bo@example.com', 'bo@example.com', '030 2222222', '302222222', 'Ringstr. 2', '10117', 'Berlin', 'DE', 'EMEA', 'tech', 'partner', '2025-01-10 10:00:00+00', true, false, false, false, null),
    (3, '=HYPERLINK("http://x","y")', 'Cy', 'cy@example.com', 'cy@example.com', '+33 1 22 33 44 55', '1223344550', '1 rue X', '75001', 'Paris', 'FR', 'EMEA', 'retail', 'web', '2024-03-01 10:00:00+00', true, true, null, false, null),
    (4, 'Di', 'Dee', 'DI@Example.com', 'di@example.com', null, null, null, null, null, 'US', 'AMER', 'tech', 'ads', '2026-05-01 10:00:00+00', true, true, true, true, '2026-02-01 00:00:00+00'),
    (5, 'Ed', 'Eck', 'ed@example.com', 'ed@example.com', '+1 555 0100', '15550100', '5 Main St', '02110', 'Boston', 'US', 'AMER', null, 'ads', '2025-05-01 10:00:00+00', true, true, true, false, '2026-01-01 00:00:00+00'),
    (6, 'Fe', 'Fox', 'fe@example.com', 'fe@example.com', null, null, '6 Rue Y', '69001', 'Lyon', null, null, null, null, null, null, null, null, null, null),
    (7, 'Gu', 'Gray', null, null, null, null, null, null, null, 'GB', 'EMEA', null, null, null, true, null, null, false, null),
    (8, 'Ha', 'Hill', 'not-an-email', 'not-an-email', null, null, null, null, null, 'GB', 'EMEA', null, null, null, true, null, null, false, null),
    (9, 'Io', 'Ivy', 'Ada@Example.com ', 'ada@example.com', '+49 (30) 111-1111', '3011111110', '  hauptstr.   1 ', '10115', 'Berlin', 'DE', 'EMEA', null, null, null, true, true, null, false, null),
    (10, '@SUM(1+1)', '-12.5', 'jo@example.com', 'jo@example.com', '+46 70 123 45 67', '7012345670', 'Storgatan 10', '111 22', 'Stockholm', 'SE', 'EMEA', null, null, null, true, true, null, false, null),
    (11, chr(9) || 'Kay', 'Kim', 'kay@example.com', 'kay@example.com', null, null, null, '10119', 'Berlin', 'DE', 'EMEA', null, null, null, true, null, null, false, null),
    (12, 'Lu', 'Low', 'lu@example.com', 'lu@example.com', '12', null, '12 Road', '#??', 'Leeds', 'GB', 'EMEA', null, null, null, false, true, null, false, null)`);
  await wh.run(`
    insert into orders (order_id, customer_id, ordered_at, status, total_amount) values
    ('o1a', 1, '2026-06-29 12:00:00+00', 'completed', 100), ('o1b', 1, '2026-07-05 12:00:00+00', 'completed', 999),
    ('o2a', 2, '2026-06-20 12:00:00+00', 'completed', 50), ('o2b', 2, '2026-06-25 12:00:00+00', 'completed', 50),
    ('o3a', 3, '2026-05-01 12:00:00+00', 'completed', 300), ('o3b', 3, '2026-06-28 12:00:00+00', 'cancelled', 80),
    ('o4a', 4, '2026-06-01 12:00:00+00', 'completed', 20), ('o4b', 4, '2026-06-10 12:00:00+00', 'completed', 20), ('o4c', 4, '2026-06-20 12:00:00+00', 'completed', 20),
    ('o5a', 5, '2026-01-31 12:00:00+00', 'completed', 500), ('o5b', 5, '2026-02-01 12:00:00+00', 'completed', 500),
    ('o6a', 6, '2025-06-30 12:00:00+00', 'completed', 10),
    ('o7a', 7, '2026-03-01 12:00:00+00', 'completed', 100), ('o7b', 7, '2026-04-01 12:00:00+00', 'completed', 100),
    ('o7c', 7, '2026-05-01 12:00:00+00', 'completed', 100), ('o7d', 7, '2026-06-25 12:00:00+00', 'completed', 100),
    ('o8a', 8, '2026-03-02 12:00:00+00', 'completed', 50),
    ('o9a', 9, '2026-05-10 12:00:00+00', 'completed', 100), ('o9b', 9, '2026-06-10 12:00:00+00', 'completed', 100),
    ('o10a', 10, '2025-12-01 12:00:00+00', 'completed', 50), ('o10b', 10, '2026-01-01 12:00:00+00', 'completed', 50),
    ('o10c', 10, '2026-02-01 12:00:00+00', 'completed', 50), ('o10d', 10, '2026-03-01 12:00:00+00', 'completed', 50),
    ('o10e', 10, '2026-04-01 12:00:00+00', 'completed', 50)`);
  await wh.run(`insert into products (product_id, name, category) values ('P1', 'Runner', 'shoes'), ('P2', 'Tote', 'bags')`);
  await wh.run(`
    insert into order_lines (order_id, line_no, product_id, quantity, unit_price, line_amount) values
    ('o2b', 1, 'P1', 1, 50, 50), ('o7a', 1, 'P1', 1, 100, 100), ('o9a', 1, 'P2', 1, 100, 100)`);
  await wh.run(`
    insert into campaign_touches (touch_id, campaign_id, customer_id, channel, sent_at, opened_at, clicked_at) values
    ('t1', 'C1', 1, 'email', '2026-06-01 08:00:00+00', '2026-06-01 09:00:00+00', '2026-06-02 09:00:00+00'),
    ('t2', 'C1', 3, 'email', '2026-06-01 08:00:00+00', null, null),
    ('t3', 'C1', 4, 'email', '2026-06-01 08:00:00+00', '2026-06-03 09:00:00+00', '2026-06-03 09:05:00+00'),
    ('t4', 'C0', 9, 'email', '2026-01-05 08:00:00+00', '2026-01-06 09:00:00+00', '2026-01-06 09:05:00+00')`);
  await wh.run(`
    insert into interactions (interaction_id, customer_id, channel, occurred_at) values
    ('i1', 3, 'phone', '2026-06-05 10:00:00+00'), ('i2', 3, 'phone', '2026-06-15 10:00:00+00'), ('i3', 3, 'phone', '2026-06-25 10:00:00+00'),
    ('i4', 4, 'phone', '2026-05-20 10:00:00+00'), ('i5', 4, 'phone', '2026-06-05 10:00:00+00'), ('i6', 4, 'phone', '2026-06-25 10:00:00+00'),
    ('i7', 1, 'email', '2026-06-05 10:00:00+00'), ('i8', 1, 'email', '2026-06-06 10:00:00+00'), ('i9', 1, 'email', '2026-06-07 10:00:00+00')`);
  await wh.run(`
    insert into tickets (ticket_id, customer_id, status, opened_at, resolved_at) values
    ('k1', 2, 'open', '2026-06-01 10:00:00+00', null),
    ('k2', 4, 'resolved', '2026-05-01 10:00:00+00', '2026-05-03 10:00:00+00'),
    ('k3', 5, 'closed', '2026-06-20 10:00:00+00', '2026-07-02 10:00:00+00')`);
  await wh.run(`
    insert into subscriptions (subscription_id, customer_id, plan, mrr, started_at, cancelled_at) values
    ('s1', 1, 'pro', 30, '2026-01-01 00:00:00+00', null),
    ('s2', 2, 'pro', 30, '2025-01-01 00:00:00+00', '2026-03-01 00:00:00+00'),
    ('s3', 3, 'basic', 10, '2026-07-10 00:00:00+00', null),
    ('s4', 4, 'basic', 10, '2026-01-01 00:00:00+00', '2026-07-15 00:00:00+00')`);
}

/** A user segment with everybody in it. */
export const everyone = { name: 'everyone', rule: { all: [] } };
