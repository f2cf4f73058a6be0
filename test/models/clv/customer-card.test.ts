import { describe, expect, it } from 'vitest';
import { describeCustomerCard } from '../../../src/cli/commands/customer.ts';
import { AppError } from '../../../src/errors.ts';
import { customerCard, resolveCustomer } from '../../../src/models/clv/customer-card.ts';
import { runClv } from '../../../src/models/clv/run.ts';
import { withWarehouse } from '../../helpers.ts';
import { loadCdnowOrders } from './fixtures.ts';

describe('customer card', () => {
  it('resolves ids, e-mails and external ids, and shows scores and the history oldest first', async () => {
    await withWarehouse(async (wh) => {
      await wh.run(`insert into customers (customer_id, first_name, last_name, email, email_norm, country, lifecycle_stage)
        select range, 'First' || range, 'Last', 'c' || range || '@example.com', 'c' || range || '@example.com', 'DE', 'customer' from range(1, 2358)`);
      await wh.run(`insert into customer_sources values ('shop', 'S-6', 6, 'external_id', null, null, 1, now()), ('crm', 'S-6', 7, 'external_id', null, null, 1, now())`);
      await loadCdnowOrders(wh);
      await wh.run(`insert into tickets (ticket_id, customer_id, category, priority, status, opened_at) values ('t1', 6, 'Delivery', 'high', 'open', timestamptz '1997-03-01 10:00:00+00')`);
      await runClv(wh, { calibrationEnd: '1997-09-30' });

      expect(await resolveCustomer(wh, '6')).toBe(6);
      expect(await resolveCustomer(wh, ' C6@Example.com ')).toBe(6);
      expect(await resolveCustomer(wh, 'shop:S-6')).toBe(6);
      await expect(resolveCustomer(wh, 'S-6')).rejects.toThrow(/several customers .*write system:id/);
      const missing = await resolveCustomer(wh, 'nobody').catch((e: unknown) => e);
      expect(missing).toBeInstanceOf(AppError);
      expect((missing as AppError).code).toBe('NOT_FOUND');

      const card = await customerCard(wh, '6', { limit: 200 });
      expect(card.profile).toMatchObject({ customer_id: 6, name: 'First6 Last', orders: 16, purchases: 16 });
      expect(card.value).toMatchObject({ as_of_date: '1997-09-30', frequency: 7, churn_tier: 'at_risk' });
      expect(card.value!.p_alive).toBeCloseTo(0.641801, 5);
      const times = card.history.map((e) => String(e.at));
      expect([...times].sort()).toEqual(times);
      expect(card.history.some((e) => e.kind === 'ticket')).toBe(true);
      const text = describeCustomerCard(card);
      expect(text).toMatch(/customer 6 · First6 Last · c6@example.com/);
      expect(text).toMatch(/churn tier\s+at_risk — P\(alive\) 64%; high value/);
      expect(text).toMatch(/P\(alive\)\s+64\.2%/);

      // a customer without any purchase is not scored, and the card says so
      await wh.run(`insert into customers (customer_id, first_name) values (99999, 'Prospect')`);
      const prospect = await customerCard(wh, '99999');
      expect(prospect.value).toBeNull();
      expect(describeCustomerCard(prospect)).toMatch(/not scored/);
    });
  });
});
