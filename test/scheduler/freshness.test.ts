import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkFreshness, freshnessReport, freshnessRules, freshnessStatus, parseJobsConfig, type FreshnessRule, type Notification } from '../../src/scheduler/index.ts';
import type { Warehouse } from '../../src/warehouse/index.ts';
import { withWarehouse } from '../helpers.ts';

const H = 3_600_000;

describe('freshnessStatus', () => {
  it('is ok up to warnAfter, warn up to errorAfter, error beyond and when never loaded', () => {
    expect(freshnessStatus(0, 2 * H, 6 * H)).toBe('ok');
    expect(freshnessStatus(2 * H, 2 * H, 6 * H)).toBe('ok');
    expect(freshnessStatus(2 * H + 1, 2 * H, 6 * H)).toBe('warn');
    expect(freshnessStatus(6 * H, 2 * H, 6 * H)).toBe('warn');
    expect(freshnessStatus(6 * H + 1, 2 * H, 6 * H)).toBe('error');
    expect(freshnessStatus(null, 2 * H, 6 * H)).toBe('error');
  });
});

/** A finished load of `pipeline` `minutesAgo` minutes ago. */
async function load(wh: Warehouse, pipeline: string, entity: string, minutesAgo: number, status = 'succeeded') {
  await wh.run(
    `insert into pipeline_runs (pipeline, entity, status, started_at, finished_at)
     values ($p, $e, $s, now() - to_minutes($m + 1), now() - to_minutes($m))`,
    { p: pipeline, e: entity, s: status, m: minutesAgo },
  );
}

describe('checkFreshness', () => {
  it('measures each source against its thresholds, live, and notifies once per change', async () => {
    await withWarehouse(async (wh) => {
      await load(wh, 'shop-orders', 'orders', 30);
      await load(wh, 'crm-contacts', 'customers', 180);
      await load(wh, 'crm-contacts', 'customers', 10, 'failed'); // a failed load does not make data fresh
      await load(wh, 'erp-products', 'products', 7 * 60);
      // orders measured by the newest ordered_at the pipeline loaded: 5 hours old although loaded 30 minutes ago.
      await load(wh, 'web-orders', 'orders', 30);
      await wh.run(
        `insert into orders (order_id, customer_id, ordered_at, status, total_amount, _pipeline) values
           ('W1', 1, now() - interval 5 hour, 'completed', 10, 'web-orders'),
           ('W2', 1, now() - interval 9 hour, 'completed', 10, 'web-orders'),
           ('S1', 1, now() - interval 1 minute, 'completed', 10, 'shop-orders')`,
      );
      const rule = (source: string, loadedAtField?: string): FreshnessRule => ({ source, warnAfterMs: 2 * H, errorAfterMs: 6 * H, loadedAtField });
      const rules = [rule('shop-orders'), rule('crm-contacts'), rule('erp-products'), rule('web-orders', 'ordered_at'), rule('zendesk-tickets')];
      const sent: Notification[] = [];
      const notify = async (n: Notification) => void sent.push(n);
      const first = await checkFreshness(wh, rules, { notify });
      expect(first.map((s) => [s.source, s.status, s.basis, s.age_s === null ? null : Math.round(s.age_s / 60)])).toEqual([
        ['erp-products', 'error', 'load', 420],
        ['zendesk-tickets', 'error', 'load', null],
        ['crm-contacts', 'warn', 'load', 180],
        ['web-orders', 'warn', 'field', 300],
        ['shop-orders', 'ok', 'load', 30],
      ]);
      expect(first.find((s) => s.source === 'web-orders')).toMatchObject({ entity: 'orders', loaded_at_field: 'ordered_at', warn_after_s: 7200, error_after_s: 21600 });
      expect(sent.map((n) => [n.event, n.source, n.severity])).toEqual([
        ['source_stale', 'erp-products', 'error'],
        ['source_stale', 'zendesk-tickets', 'error'],
        ['source_stale', 'crm-contacts', 'warning'],
        ['source_stale', 'web-orders', 'warning'],
      ]);
      expect(sent[0].text).toBe('erp-products is stale (error): last loaded 7h ago; error after 6h');
      expect(sent[1].text).toBe('zendesk-tickets is stale (error): never loaded; error after 6h');

      sent.length = 0;
      await checkFreshness(wh, rules, { notify });
      expect(sent).toEqual([]);

      await load(wh, 'erp-products', 'products', 1);
      await checkFreshness(wh, rules, { notify });
      expect(sent.map((n) => [n.event, n.source])).toEqual([['source_recovered', 'erp-products']]);
      const report = await freshnessReport(wh);
      expect(report.status).toBe('error');
      expect(report.sources.find((s) => s.source === 'erp-products')?.status).toBe('ok');
    });
  });

  it('refuses a loadedAtField that is not a date or timestamp of the entity', async () => {
    await withWarehouse(async (wh) => {
      await load(wh, 'shop-orders', 'orders', 30);
      await expect(checkFreshness(wh, [{ source: 'shop-orders', warnAfterMs: H, errorAfterMs: 2 * H, loadedAtField: 'status' }])).rejects.toThrow(
        'freshness: loadedAtField "status" is not a date or timestamp field of orders; use one of ordered_at',
      );
    });
  });

  it('is "unknown" before any rule was checked', async () => {
    await withWarehouse(async (wh) => {
      expect(await freshnessReport(wh)).toEqual({ status: 'unknown', sources: [] });
    });
  });
});

describe('freshnessRules', () => {
  it('applies the default thresholds to every pipeline the enabled jobs load; explicit rules win', async () => {
    await withWarehouse(async (_wh, dir) => {
      mkdirSync(join(dir, 'p'));
      const p = (name: string, entity: string, mapping: object) =>
        writeFileSync(join(dir, 'p', `${name}.json`), JSON.stringify({ source: { type: 'csv', path: `in/\${RUN_DATE}/${name}.csv` }, entity, mapping }));
      p('orders', 'orders', { order_id: 'a', customer_id: 'b', ordered_at: 'c', status: 'd', total_amount: 'e' });
      p('products', 'products', { product_id: 'a' });
      const config = parseJobsConfig({
        jobs: {
          nightly: { cron: '0 2 * * *', steps: [{ type: 'ingest', pipelines: join(dir, 'p') }] },
          off: { cron: '0 3 * * *', enabled: false, steps: [{ type: 'ingest', pipelines: join(dir, 'nowhere') }] },
        },
        freshness: { default: { warnAfter: '26h', errorAfter: '50h' }, sources: [{ source: 'orders', warnAfter: '2h', errorAfter: '4h', loadedAtField: 'ordered_at' }] },
      });
      const { rules, problems } = freshnessRules(config);
      expect(problems).toEqual([]);
      expect(rules).toEqual([
        { source: 'orders', warnAfterMs: 2 * H, errorAfterMs: 4 * H, loadedAtField: 'ordered_at' },
        { source: 'products', warnAfterMs: 26 * H, errorAfterMs: 50 * H },
      ]);
    });
  });
});
