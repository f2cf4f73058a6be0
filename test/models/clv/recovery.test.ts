import { describe, expect, it } from 'vitest';
import { runClv } from '../../../src/models/clv/run.ts';
import { withWarehouse } from '../../helpers.ts';
import { loadSimulatedOrders, simulateOrders } from './simulate.ts';

describe('parameter recovery on data simulated from the model (20,000 customers, seeded)', () => {
  it('recovers BG/NBD and Gamma-Gamma parameters within 3 standard errors, in weeks and in days', async () => {
    const truth = { bgnbd: { r: 0.4, alpha: 6, a: 0.9, b: 3 }, gammaGamma: { p: 5, q: 3.5, gamma: 20 } };
    await withWarehouse(async (wh, dir) => {
      await loadSimulatedOrders(wh, dir, simulateOrders({ customers: 20_000, seed: 42, ...truth, acquisitionDays: 120, observedDays: 546 }));
      const weeks = await runClv(wh, { calibrationEnd: '2025-06-29', unit: 'week' });
      expect(weeks.status).toBe('succeeded');
      for (const k of ['r', 'alpha', 'a', 'b'] as const) {
        const z = (weeks.bgnbd.params[k] - truth.bgnbd[k]) / weeks.bgnbd.stdErrors[k]!;
        expect(Math.abs(z), `${k}: ${weeks.bgnbd.params[k]} ± ${weeks.bgnbd.stdErrors[k]} vs ${truth.bgnbd[k]}`).toBeLessThan(3);
      }
      for (const k of ['p', 'q', 'gamma'] as const) {
        const z = (weeks.gammaGamma!.params[k] - truth.gammaGamma[k]) / weeks.gammaGamma!.stdErrors[k]!;
        expect(Math.abs(z), `${k}: ${weeks.gammaGamma!.params[k]} ± ${weeks.gammaGamma!.stdErrors[k]} vs ${truth.gammaGamma[k]}`).toBeLessThan(3);
      }
      const [{ total: weekTotal }] = await wh.all<{ total: number }>('select sum(clv) as total from customer_value');
      // In days the rate scale α is 7 times larger, the rest unchanged (up to the 2-decimal rounding of weeks).
      const days = await runClv(wh, { calibrationEnd: '2025-06-29', unit: 'day' });
      expect(days.bgnbd.params.alpha / 7).toBeCloseTo(weeks.bgnbd.params.alpha, 1);
      expect(days.bgnbd.params.r).toBeCloseTo(weeks.bgnbd.params.r, 3);
      expect(days.bgnbd.params.a).toBeCloseTo(weeks.bgnbd.params.a, 2);
      // CLV does not depend on the unit (a month is 4.345 weeks = 30.415 days in both)
      const [{ total: dayTotal }] = await wh.all<{ total: number }>('select sum(clv) as total from customer_value');
      expect(Math.abs(dayTotal / weekTotal - 1)).toBeLessThan(0.005);
    });
  });
});
