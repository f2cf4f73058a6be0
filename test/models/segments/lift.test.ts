import { describe, expect, it } from 'vitest';
import type { Warehouse } from '../../../src/warehouse/index.ts';
import { runReport } from '../../../src/models/reports/index.ts';
import { campaignLift, meanDifference, normalCdf, normalQuantile, proportionDifference } from '../../../src/models/segments/index.ts';
import { withWarehouse } from '../../helpers.ts';

async function logExport(wh: Warehouse, id: number, campaign: string, holdoutShare: number, members: [number, 'target' | 'holdout'][]) {
  await wh.run(
    `insert into export_log (export_id, created_at, requested_by, segment_name, definition, definition_hash, campaign_id, channel, format, path, fields, as_of,
       model_runs, holdout_share, segment_members, excluded_do_not_contact, excluded_unsubscribed, excluded_no_opt_in, excluded_missing_address,
       excluded_malformed_address, excluded_duplicate, eligible, holdout, targeted, rows_written, file_sha256, file_bytes, duration_ms)
     values ($id, '2026-05-30 10:00:00+00', 't', 's', '{}', 'h', $c, 'email', 'csv', '/x.csv', '[]', '2026-05-30', '{}', $share, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 'x', 0, 0)`,
    { id, c: campaign, share: holdoutShare },
  );
  for (const [customer, status] of members)
    await wh.run("insert into export_members values ($id, $c, $s, null, null, 's')", { id, c: customer, s: status });
}

describe('statistics', () => {
  it('normal quantile and CDF match published values', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963984540054, 8);
    expect(normalQuantile(0.95)).toBeCloseTo(1.6448536269514722, 8);
    expect(normalQuantile(0.005)).toBeCloseTo(-2.5758293035489004, 8);
    expect(normalCdf(1.959963984540054)).toBeCloseTo(0.975, 7);
    expect(normalCdf(0)).toBe(0.5);
  });

  it('differences of proportions and means (worked by hand)', () => {
    const p = proportionDifference(4, 10, 1, 10, 0.95);
    expect(p.estimate).toBeCloseTo(0.3, 12);
    expect(p.standardError).toBeCloseTo(0.1816590212458495, 10);
    expect(p.ci[0]).toBeCloseTo(-0.056045139108661546, 8);
    expect(p.ci[1]).toBeCloseTo(0.6560451391086615, 8);
    expect(p.pValue).toBeCloseTo(0.12133525035848214, 6);
    expect(p.relativeLift).toBeCloseTo(3, 12);
    const m = meanDifference({ n: 10, sum: 400, sumSq: 45000 }, { n: 10, sum: 100, sumSq: 10000 }, 0.95);
    expect(m.estimate).toBe(30);
    expect(m.standardError).toBeCloseTo(20.548046676563256, 10);
    expect(m.ci[0]).toBeCloseTo(-10.273431438711938, 8);
    expect(m.pValue).toBeCloseTo(0.14429205544010526, 6);
  });
});

describe('campaign lift', () => {
  it('compares the targeted group with its holdout over the campaign window', () =>
    withWarehouse(async (wh) => {
      await wh.run("insert into campaigns (campaign_id, name, started_at, ended_at) values ('C5', 'June', '2026-06-01', '2026-06-30')");
      await wh.run('insert into customers (customer_id) select range from range(1, 22)');
      // targets 1..10 and 21 (who is also held out in a second export: left out), holdout 11..20
      await logExport(wh, 1, 'C5', 0.5, [...Array.from({ length: 10 }, (_, i) => [i + 1, 'target'] as [number, 'target']), ...Array.from({ length: 10 }, (_, i) => [i + 11, 'holdout'] as [number, 'holdout']), [21, 'target']]);
      await logExport(wh, 2, 'C5', 0.5, [[21, 'holdout']]);
      await wh.run(`insert into orders (order_id, customer_id, ordered_at, status, total_amount) values
        ('a', 1, '2026-06-05 10:00:00+00', 'completed', 60), ('b', 1, '2026-06-20 10:00:00+00', 'completed', 40),
        ('c', 2, '2026-06-30 23:00:00+00', 'completed', 50), ('d', 3, '2026-06-10 10:00:00+00', 'completed', 150),
        ('e', 4, '2026-06-11 10:00:00+00', 'completed', 100), ('f', 5, '2026-07-01 00:00:00+00', 'completed', 500),
        ('g', 6, '2026-06-12 10:00:00+00', 'cancelled', 70), ('h', 11, '2026-06-15 10:00:00+00', 'completed', 100),
        ('i', 12, '2026-05-31 23:59:00+00', 'completed', 80), ('j', 21, '2026-06-15 10:00:00+00', 'completed', 999)`);
      await wh.run(`insert into campaign_touches (touch_id, campaign_id, customer_id, sent_at, converted_at)
        select 't' || range, 'C5', range, '2026-06-01 08:00:00+00', case when range in (1, 3) then timestamptz '2026-06-06 00:00:00+00' end from range(1, 9)`);
      const l = await campaignLift(wh, 'C5');
      expect(l.window).toMatchObject({ from: '2026-06-01T00:00:00.000Z', to: '2026-07-01T00:00:00.000Z', open: false, source: 'the campaign dates' });
      expect(l.exports).toEqual([1, 2]);
      expect(l.contaminated).toBe(1);
      expect(l.target).toEqual({ customers: 10, converters: 4, conversionRate: 0.4, revenue: 400, revenuePerPerson: 40, revenueSd: Math.sqrt(29000 / 9), touched: 8, touchConverters: 2 });
      expect(l.holdout).toMatchObject({ customers: 10, converters: 1, conversionRate: 0.1, revenue: 100, revenuePerPerson: 10, touched: 0 });
      expect(l.conversion!.estimate).toBeCloseTo(0.3, 12);
      expect(l.conversion!.ci[1]).toBeCloseTo(0.6560451391086615, 8);
      expect(l.revenuePerPerson!.estimate).toBeCloseTo(30, 10);
      expect(l.incremental!.revenue).toBeCloseTo(300, 8);
      expect(l.warnings).toEqual([
        'groups are small (fewer than 30 customers or 5 converters in a group): the normal approximation behind the intervals is rough',
        '1 customers were target in one export and holdout in another; they are left out',
      ]);
      // The same as a report (crm report campaign-lift --campaign C5): the groups and the difference row.
      const r = await runReport(wh, 'campaign-lift', { campaign: 'C5' });
      expect(r.rows.map((x) => [x.group, x.customers, x.converters, x.conversion_rate, x.revenue_per_person])).toEqual([
        ['target', 10, 4, 0.4, 40],
        ['holdout', 10, 1, 0.1, 10],
        ['target − holdout', null, null, l.conversion!.estimate, l.revenuePerPerson!.estimate],
      ]);
      expect(r.rows[2].conversion_ci_high).toBe(l.conversion!.ci[1]);
      expect(r.meta.notes).toEqual(expect.arrayContaining(['1 customers were target in one export and holdout in another; they are left out']));
      await expect(runReport(wh, 'campaign-lift', {})).rejects.toThrow(/campaign/);
      const week = await campaignLift(wh, 'C5', { windowDays: 7 });
      expect([week.target.converters, week.holdout.converters, week.window.to]).toEqual([1, 0, '2026-06-08T00:00:00.000Z']);
    }));

  it('says what is missing', () =>
    withWarehouse(async (wh) => {
      await expect(campaignLift(wh, 'C404')).rejects.toThrow('no export is recorded for campaign "C404"; lift needs one made with --campaign C404 --holdout SHARE');
      await logExport(wh, 1, 'C6', 0, [[1, 'target']]);
      await expect(campaignLift(wh, 'C6')).rejects.toThrow(/kept no holdout; export with --holdout SHARE/);
      await expect(campaignLift(wh, 'C6', { confidence: 1.2 })).rejects.toThrow(/confidence 1.2/);
    }));
});
