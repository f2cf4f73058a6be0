import { describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import type { Warehouse } from '../../../src/warehouse/index.ts';
import {
  createSegment,
  definitionSelection,
  deleteSegment,
  loadCatalog,
  membersQuery,
  migrationMatrix,
  movers,
  parseSegmentDefinition,
  pivotMatrix,
  prepareLive,
  previewPlan,
  previewSegment,
  rfmSummary,
  runCompiled,
  runSegments,
  savePlan,
  segmentDb,
  segmentMembers,
  segmentTrend,
  segmentVersions,
  updateSegment,
} from '../../../src/models/segments/index.ts';
import { withWarehouse } from '../../helpers.ts';
import { AS_OF, seedFixture } from './fixture.ts';

/** Customer ids a rule selects as of a day, through the same path as preview and export. */
async function ids(wh: Warehouse, rule: unknown, asOf = AS_OF): Promise<number[]> {
  const catalog = await loadCatalog(wh);
  const sel = definitionSelection(catalog, parseSegmentDefinition({ name: 'probe', rule }), asOf);
  return wh.withConnection(async (q) => {
    const sources = await prepareLive(q, sel, asOf, catalog);
    const rows = await runCompiled<{ customer_id: number }>(q, membersQuery(segmentDb(wh), sel, sources).orderBy(sql`c.customer_id`));
    return rows.map((r) => r.customer_id);
  });
}

const withFixture = (fn: (wh: Warehouse) => Promise<void>) => () => withWarehouse(async (wh) => {
  await seedFixture(wh);
  await fn(wh);
});

describe('funnel drop-offs as a segment', () => {
  it(
    'selects who dropped off at a step in the latest run of the funnel, or in a run named by id',
    withFixture(async (wh) => {
      await wh.run(`insert into funnel_dropoffs (run_id, funnel, step, step_index, customer_id, deal_id, reason, dropped_at) values
        (1, 'stage', 'Proposal', 3, 1, 'D1', 'Price', '2026-05-01 10:00:00+00'),
        (2, 'stage', 'Proposal', 3, 1, 'D1', 'Price', '2026-05-01 10:00:00+00'),
        (2, 'stage', 'Proposal', 3, 2, 'D2', 'Timing', '2026-06-01 10:00:00+00'),
        (2, 'stage', 'Qualified', 2, 3, 'D3', 'No budget', '2026-06-02 10:00:00+00'),
        (1, 'stage', 'Proposal', 3, 4, 'D4', 'Price', '2026-04-01 10:00:00+00'),
        (3, 'marketing', 'opened', 2, 5, null, 'no clicked within 7d', '2026-06-03 10:00:00+00')`);
      const proposal = { event: 'funnel_dropoff', where: { funnel: 'stage', step: 'Proposal' } };
      expect(await ids(wh, proposal)).toEqual([1, 2]);
      expect(await ids(wh, { ...proposal, where: { ...proposal.where, run_id: 1 } })).toEqual([1, 4]);
      expect(await ids(wh, { ...proposal, window: { last: 45, unit: 'days' } })).toEqual([2]);
      expect(await ids(wh, { event: 'funnel_dropoff', where: { reason: ['Price', 'no clicked within 7d'] } })).toEqual([1, 5]);
    }),
  );
});

describe('RFM scores (hand-computed, see fixture.ts)', () => {
  it(
    'splits ties deterministically with ntile and names the cells from the score map',
    withFixture(async (wh) => {
      const run = await runSegments(wh, { asOf: AS_OF });
      expect(run.customersScored).toBe(10);
      const rows = await wh.all<{ customer_id: number; recency_days: number; frequency: number; monetary: number; rfm_cell: string; fm_score: number; rfm_segment: string }>(
        'select customer_id, recency_days, frequency, monetary, rfm_cell, fm_score, rfm_segment from rfm_scores where run_id = $r order by customer_id',
        { r: run.runId },
      );
      expect(rows.map((r) => [r.customer_id, r.recency_days, r.frequency, r.monetary])).toEqual([
        [1, 1, 1, 100], [2, 5, 2, 100], [3, 60, 1, 300], [4, 10, 3, 60], [5, 149, 2, 1000],
        [6, 365, 1, 10], [7, 5, 4, 400], [8, 120, 1, 50], [9, 20, 2, 200], [10, 90, 5, 250],
      ]);
      expect(Object.fromEntries(rows.map((r) => [r.customer_id, `${r.rfm_cell}/${r.fm_score} ${r.rfm_segment}`]))).toEqual({
        1: '522/2 potential-loyalist',
        2: '433/3 potential-loyalist',
        3: '324/3 need-attention',
        4: '442/3 potential-loyalist',
        5: '145/5 cant-lose-them',
        6: '111/1 lost',
        7: '555/5 champions',
        8: '211/1 hibernating',
        9: '333/3 need-attention',
        10: '254/5 cant-lose-them',
      });
      const summary = await rfmSummary(wh);
      expect(summary.rows.map((r) => [r.segment, r.customers, r.total_monetary])).toEqual([
        ['champions', 1, 400], ['potential-loyalist', 3, 260], ['need-attention', 2, 500], ['cant-lose-them', 2, 1250], ['hibernating', 1, 50], ['lost', 1, 10],
      ]);
    }),
  );

  it(
    'gives equal values equal scores with ties: shared',
    withFixture(async (wh) => {
      const run = await runSegments(wh, { asOf: AS_OF, ties: 'shared' });
      const rows = await wh.all<{ customer_id: number; rfm_cell: string }>('select customer_id, rfm_cell from rfm_scores where run_id = $r order by customer_id', { r: run.runId });
      expect(Object.fromEntries(rows.map((r) => [r.customer_id, r.rfm_cell]))).toEqual({
        1: '512', 2: '432', 3: '314', 4: '442', 5: '135', 6: '111', 7: '455', 8: '211', 9: '333', 10: '254',
      });
    }),
  );

  it(
    'scores as of any day and within a lookback',
    withFixture(async (wh) => {
      const early = await runSegments(wh, { asOf: '2026-03-01' });
      const [r7] = await wh.all<{ recency_days: number; frequency: number }>('select recency_days, frequency from rfm_scores where run_id = $r and customer_id = 7', { r: early.runId });
      expect(r7).toEqual({ recency_days: 0, frequency: 1 });
      expect(early.customersScored).toBe(4); // 5, 6, 7, 10 had bought by 2026-03-01
      const recent = await runSegments(wh, { asOf: AS_OF, lookbackDays: 100 });
      expect(recent.customersScored).toBe(7);
      const [c7] = await wh.all<{ frequency: number; monetary: number }>('select frequency, monetary from rfm_scores where run_id = $r and customer_id = 7', { r: recent.runId });
      expect(c7).toEqual({ frequency: 3, monetary: 300 });
      // Without a date: the day of the newest order, not today.
      const [{ day }] = await wh.all<{ day: string }>('select cast(max(ordered_at) as date) as day from orders');
      expect((await runSegments(wh)).asOf).toBe(day);
    }),
  );
});

describe('rule types (hand-worked member sets)', () => {
  it(
    'traits: text, null-safe negation, booleans, timestamps',
    withFixture(async (wh) => {
      expect(await ids(wh, { field: 'country', op: 'in', value: ['DE', 'AT'] })).toEqual([1, 2, 9, 11]);
      expect(await ids(wh, { field: 'country', op: 'neq', value: 'DE' })).toEqual([3, 4, 5, 6, 7, 8, 10, 12]);
      expect(await ids(wh, { not: { field: 'country', op: 'eq', value: 'DE' } })).toEqual([3, 4, 5, 6, 7, 8, 10, 12]);
      expect(await ids(wh, { field: 'country', op: 'not_in', value: ['DE', 'GB', 'US'] })).toEqual([3, 6, 10]);
      expect(await ids(wh, { field: 'country', op: 'is_null' })).toEqual([6]);
      expect(await ids(wh, { field: 'city', op: 'starts_with', value: 'BER' })).toEqual([1, 2, 9, 11]);
      expect(await ids(wh, { field: 'email_domain', op: 'eq', value: 'example.com' })).toEqual([1, 2, 3, 4, 5, 6, 9, 10, 11, 12]);
      expect(await ids(wh, { field: 'do_not_contact', op: 'is_true' })).toEqual([4]);
      expect(await ids(wh, { field: 'email_opt_in', op: 'is_false' })).toEqual([12]);
      expect(await ids(wh, { field: 'is_unsubscribed', op: 'is_true' })).toEqual([4, 5]);
      expect(await ids(wh, { field: 'is_unsubscribed', op: 'is_true' }, '2026-01-15')).toEqual([5]);
      expect(await ids(wh, { field: 'acquired_at', op: 'in_last', value: 30 })).toEqual([1]);
      expect(await ids(wh, { field: 'acquired_at', op: 'in_last', value: 2, unit: 'months' })).toEqual([1, 4]);
      expect(await ids(wh, { field: 'acquired_at', op: 'before', value: '2025-01-10' })).toEqual([3]);
      expect(await ids(wh, { field: 'acquired_at', op: 'after', value: '2025-01-10' })).toEqual([1, 4, 5]);
      expect(await ids(wh, { field: 'acquired_at', op: 'between', value: ['2025-01-10', '2025-05-01'] })).toEqual([2, 5]);
    }),
  );

  it(
    'computed metrics with and without windows, as of the day',
    withFixture(async (wh) => {
      expect(await ids(wh, { field: 'orders', op: 'gte', value: 2, window: { last: 90 } })).toEqual([2, 4, 7, 9]);
      expect(await ids(wh, { field: 'revenue', op: 'gt', value: 250 })).toEqual([3, 5, 7]);
      expect(await ids(wh, { field: 'revenue', op: 'between', value: [100, 250] })).toEqual([1, 2, 9, 10]);
      expect(await ids(wh, { field: 'revenue', op: 'eq', value: 100, window: { from: '2026-06-01', to: '2026-06-30' } })).toEqual([1, 2, 7, 9]);
      expect(await ids(wh, { field: 'average_order_value', op: 'gte', value: 300 })).toEqual([3, 5]);
      expect(await ids(wh, { field: 'days_since_last_order', op: 'gte', value: 100 })).toEqual([5, 6, 8]);
      expect(await ids(wh, { field: 'days_since_last_order', op: 'is_null' })).toEqual([11, 12]);
      expect(await ids(wh, { field: 'first_order_at', op: 'in_last', value: 30 })).toEqual([1, 2, 4]);
      expect(await ids(wh, { field: 'days_since_last_contact', op: 'eq', value: 5 })).toEqual([3, 4]);
      expect(await ids(wh, { field: 'interactions', op: 'gte', value: 3, window: { last: 1, unit: 'months' } })).toEqual([1, 3]);
      expect(await ids(wh, { field: 'open_tickets', op: 'gte', value: 1 })).toEqual([2, 5]);
      expect(await ids(wh, { field: 'subscription_status', op: 'eq', value: 'active' })).toEqual([1, 4]);
      expect(await ids(wh, { field: 'subscription_status', op: 'eq', value: 'cancelled' })).toEqual([2]);
      expect(await ids(wh, { field: 'active_mrr', op: 'gt', value: 0 }, '2026-08-01')).toEqual([1, 3]);
      expect(await ids(wh, { field: 'rfm_segment', op: 'eq', value: 'cant-lose-them' })).toEqual([5, 10]);
      expect(await ids(wh, { field: 'rfm_r', op: 'gte', value: 4 })).toEqual([1, 2, 4, 7]);
    }),
  );

  it(
    'purchases are the clv model’s: a returned order counts, valued net of its refund; a refund record does not',
    withFixture(async (wh) => {
      await wh.run(`insert into orders (order_id, customer_id, ordered_at, status, total_amount) values
        ('r11', 11, '2026-06-10 12:00:00+00', 'returned', 80), ('r12', 12, '2026-06-10 12:00:00+00', 'completed', -40)`);
      await wh.run("insert into order_lines (order_id, line_no, product_id, quantity, unit_price, line_amount) values ('r11', 1, 'P1', 1, 80, 80), ('r11', 2, 'P1', -1, 30, -30)");
      expect(await ids(wh, { field: 'orders', op: 'eq', value: 1, window: { last: 30 } })).toEqual([1, 7, 9, 11]);
      expect(await ids(wh, { all: [{ field: 'revenue', op: 'eq', value: 50 }, { field: 'days_since_last_order', op: 'eq', value: 20 }] })).toEqual([11]);
      expect(await ids(wh, { event: 'order', window: { last: 30 }, count: { op: 'eq', value: 1 } })).toEqual([1, 7, 9, 11]);
      expect(await ids(wh, { field: 'days_since_last_order', op: 'is_null' })).toEqual([12]);
    }),
  );

  it(
    'behaviour with time windows and counts',
    withFixture(async (wh) => {
      // bought category shoes within the last 90 / 180 days
      expect(await ids(wh, { event: 'order', where: { category: 'shoes' }, window: { last: 90 } })).toEqual([2]);
      expect(await ids(wh, { event: 'order', where: { category: 'shoes' }, window: { last: 180 } })).toEqual([2, 7]);
      // clicked campaign C1; clicked anything in 90 days; received C1 but did not click it
      expect(await ids(wh, { event: 'campaign_clicked', where: { campaign_id: 'C1' } })).toEqual([1, 4]);
      expect(await ids(wh, { event: 'campaign_clicked', window: { last: 90 } })).toEqual([1, 4]);
      expect(await ids(wh, { all: [{ event: 'campaign_sent', where: { campaign_id: 'C1' } }, { not: { event: 'campaign_clicked', where: { campaign_id: 'C1' } } }] })).toEqual([3]);
      // no order between two dates
      expect(await ids(wh, { event: 'order', window: { from: '2026-02-15', to: '2026-05-31' }, count: { op: 'eq', value: 0 } })).toEqual([1, 2, 4, 5, 6, 11, 12]);
      // at least 3 calls in the last month
      expect(await ids(wh, { event: 'interaction', where: { channel: 'phone' }, window: { last: 1, unit: 'months' }, count: { op: 'gte', value: 3 } })).toEqual([3]);
      expect(await ids(wh, { event: 'interaction', where: { channel: 'phone' }, count: { op: 'eq', value: 2 }, window: { last: 1, unit: 'months' } })).toEqual([4]);
      // a cancelled order only counts when asked for
      expect(await ids(wh, { event: 'order', where: { status: 'cancelled' } })).toEqual([3]);
      expect(await ids(wh, { event: 'ticket_opened', where: { status: ['open', 'closed'] } })).toEqual([2, 5]);
      expect(await ids(wh, { event: 'subscription_cancelled', window: { last: 6, unit: 'months' } })).toEqual([2]);
    }),
  );

  it(
    'membership of other segments: include, exclude, nested; cycles and unknown names',
    withFixture(async (wh) => {
      await createSegment(wh, { name: 'de', rule: { field: 'country', op: 'eq', value: 'DE' } });
      await createSegment(wh, { name: 'de-buyers', rule: { all: [{ segment: 'de' }, { field: 'orders', op: 'gte', value: 1 }] } });
      expect(await ids(wh, { segment: 'de-buyers' })).toEqual([1, 2, 9]);
      expect(await ids(wh, { all: [{ segment: 'de-buyers', exclude: true }, { field: 'orders', op: 'gte', value: 1 }] })).toEqual([3, 4, 5, 6, 7, 8, 10]);
      expect(await ids(wh, { segment: 'best-customers' })).toEqual([7]); // champions or loyal
      await expect(updateSegment(wh, { name: 'de', rule: { any: [{ field: 'country', op: 'eq', value: 'DE' }, { segment: 'de-buyers' }] } })).rejects.toThrow(
        'rule: segments refer to each other in a cycle: de → de-buyers → de; remove one of these references',
      );
      await expect(createSegment(wh, { name: 'x', rule: { segment: 'nope' } })).rejects.toThrow(/unknown segment "nope"; known segments: .*de-buyers/);
      await expect(createSegment(wh, { name: 'rfm-lost', rule: { all: [] } })).rejects.toThrow(/already exists; it is an RFM segment/);
      await expect(deleteSegment(wh, 'de')).rejects.toThrow('segment "de" is used by segment de-buyers; change those first');
    }),
  );

  it(
    'CLV fields: a clear error until the clv model has run, then its scores',
    withFixture(async (wh) => {
      await expect(ids(wh, { field: 'p_alive', op: 'lt', value: 0.5 })).rejects.toThrow(/customer_value is empty: run `crm models run clv` first/);
      await expect(previewSegment(wh, { name: 'high-value-at-risk' })).rejects.toThrow(/segment "high-value-at-risk" uses CLV scores .* run `crm models run clv` first/);
      await wh.run(`insert into customer_value (run_id, as_of_date, customer_id, time_unit, first_purchase_date, last_purchase_date, frequency, recency, tenure,
        monetary_value, total_revenue, p_alive, expected_purchases, horizon_months, expected_mean_spend, clv, churn_tier, value_percentile)
        select 7, date '2026-06-30', customer_id, 'day', date '2026-01-01', date '2026-06-01', 1, 1, 1, 1, 1,
               case customer_id when 5 then 0.2 when 10 then 0.4 else 0.9 end, 1, 12, 1, 100 * customer_id,
               case customer_id when 5 then 'at_risk' else 'active' end, case when customer_id in (5, 7, 10) then 0.9 else 0.3 end
        from customers where customer_id <= 10`);
      expect(await ids(wh, { field: 'p_alive', op: 'lt', value: 0.5 })).toEqual([5, 10]);
      expect(await ids(wh, { field: 'churn_tier', op: 'eq', value: 'at_risk' })).toEqual([5]);
      const p = await previewSegment(wh, { name: 'high-value-at-risk' }, { asOf: AS_OF });
      expect(p.count).toBe(2);
      expect(p.sources.valueRunId).toBe(7);
      expect(p.sample.map((r) => [r.customer_id, r.p_alive, r.value_percentile])).toEqual(expect.arrayContaining([[5, 0.2, 0.9], [10, 0.4, 0.9]]));
    }),
  );
});

describe('user segments and plans', () => {
  it(
    'keeps a version history; preview shows a count and a sample with the fields tested',
    withFixture(async (wh) => {
      const def = { name: 'big', label: 'Big spenders', rule: { field: 'revenue', op: 'gte', value: 300 } };
      const preview = await previewSegment(wh, { definition: def }, { asOf: AS_OF, sample: 5 });
      expect(preview).toMatchObject({ segment: 'big', count: 3, customers: 12 });
      expect(preview.sample.map((r) => r.revenue).sort()).toEqual([1000, 300, 400]);
      const v1 = await createSegment(wh, def, { createdBy: 'ana' });
      expect(v1).toMatchObject({ version: 1, source: 'user', createdBy: 'ana' });
      await expect(createSegment(wh, def)).rejects.toThrow(/already exists; use `crm segment update`/);
      expect((await updateSegment(wh, def)).version).toBe(1); // unchanged: no new version
      const v2 = await updateSegment(wh, { ...def, rule: { field: 'revenue', op: 'gte', value: 500 } }, { comment: 'stricter' });
      expect(v2.version).toBe(2);
      expect((await segmentMembers(wh, { segment: 'big' }, { asOf: AS_OF })).rows.map((r) => r.customer_id)).toEqual([5]);
      await deleteSegment(wh, 'big');
      const versions = await segmentVersions(wh, 'big');
      expect(versions.map((v) => [v.version, v.is_deleted, v.comment, v.definition.rule])).toEqual([
        [1, false, 'create', { field: 'revenue', op: 'gte', value: 300 }],
        [2, false, 'stricter', { field: 'revenue', op: 'gte', value: 500 }],
        [3, true, 'delete', { field: 'revenue', op: 'gte', value: 500 }],
      ]);
      expect((await loadCatalog(wh)).segments.has('big')).toBe(false);
    }),
  );

  it(
    'priority lists: each customer goes to the first segment of the plan they qualify for',
    withFixture(async (wh) => {
      await createSegment(wh, { name: 'de', rule: { field: 'country', op: 'eq', value: 'DE' } });
      await createSegment(wh, { name: 'de-buyers', rule: { all: [{ segment: 'de' }, { field: 'orders', op: 'gte', value: 1 }] } });
      await createSegment(wh, { name: 'big', rule: { field: 'revenue', op: 'gt', value: 250 } });
      await savePlan(wh, { name: 'summer', segments: ['de-buyers', 'big', 'de'] });
      const p = await previewPlan(wh, 'summer', { asOf: AS_OF });
      expect(p.rows).toEqual([
        { priority: 1, segment: 'de-buyers', qualify: 3, assigned: 3 },
        { priority: 2, segment: 'big', qualify: 3, assigned: 3 },
        { priority: 3, segment: 'de', qualify: 4, assigned: 1 },
      ]);
      const m = await segmentMembers(wh, { plan: 'summer' }, { asOf: AS_OF });
      expect(m.rows.map((r) => [r.customer_id, r.segment_name])).toEqual([[1, 'de-buyers'], [2, 'de-buyers'], [3, 'big'], [5, 'big'], [7, 'big'], [9, 'de-buyers'], [11, 'de']]);
      const de = await segmentMembers(wh, { plan: 'summer', segment: 'de' }, { asOf: AS_OF });
      expect(de.rows.map((r) => r.customer_id)).toEqual([11]);
      await expect(savePlan(wh, { name: 'bad', segments: ['de', 'nope'] })).rejects.toThrow(/unknown segment "nope"/);
      const v2 = await savePlan(wh, { name: 'summer', segments: ['big', 'de-buyers'] });
      expect(v2.version).toBe(2);
    }),
  );
});

describe('membership history', () => {
  it(
    'snapshots each run and reports migration, movers and trends',
    withFixture(async (wh) => {
      const a = await runSegments(wh, { asOf: AS_OF });
      expect(a.sizes.find((s) => s.segment === 'high-value-at-risk')).toMatchObject({ status: 'skipped', members: null });
      // a month later with no new purchases: recency grows for everyone, so scores shift only by ties
      await wh.run(`insert into orders (order_id, customer_id, ordered_at, status, total_amount) values
        ('n5', 5, '2026-07-20 10:00:00+00', 'completed', 900), ('n6', 6, '2026-07-21 10:00:00+00', 'completed', 10)`);
      const b = await runSegments(wh, { asOf: '2026-07-31' });
      const [{ n }] = await wh.all<{ n: number }>('select count(*) as n from segment_membership where run_id = $r', { r: a.runId });
      expect(n).toBeGreaterThan(10);
      const snapshot = await segmentMembers(wh, { segment: 'rfm-cant-lose-them' }, { run: a.runId });
      expect(snapshot.rows.map((r) => r.customer_id)).toEqual([5, 10]);
      const from = Object.fromEntries((await wh.all<{ customer_id: number; rfm_segment: string }>('select customer_id, rfm_segment from rfm_scores where run_id = $r', { r: a.runId })).map((r) => [r.customer_id, r.rfm_segment]));
      const to = Object.fromEntries((await wh.all<{ customer_id: number; rfm_segment: string }>('select customer_id, rfm_segment from rfm_scores where run_id = $r', { r: b.runId })).map((r) => [r.customer_id, r.rfm_segment]));
      const m = await migrationMatrix(wh, {});
      expect(m.from.run_id).toBe(a.runId);
      expect(m.to.run_id).toBe(b.runId);
      // the matrix equals the pairs counted straight from the two runs' scores
      const expected = new Map<string, number>();
      for (const id of new Set([...Object.keys(from), ...Object.keys(to)])) {
        const k = `rfm-${from[id] ?? ''}>rfm-${to[id] ?? ''}`;
        expected.set(k, (expected.get(k) ?? 0) + 1);
      }
      expect(new Map(m.rows.map((r) => [`${r.from_segment}>${r.to_segment}`, r.customers]))).toEqual(expected);
      expect(pivotMatrix(m).reduce((s, r) => s + Object.values(r).filter((v): v is number => typeof v === 'number').reduce((x, y) => x + y, 0), 0)).toBe(10);
      const who = await movers(wh, { from: `rfm-${from[5]}`, to: `rfm-${to[5]}` });
      expect(who.rows.map((r) => r.customer_id)).toContain(5);
      const trend = await segmentTrend(wh, { segments: ['rfm-champions', 'best-customers'] });
      expect(trend.map((t) => [t.run_id, t.segment_name])).toEqual([
        [a.runId, 'best-customers'], [a.runId, 'rfm-champions'], [b.runId, 'best-customers'], [b.runId, 'rfm-champions'],
      ]);
      const champ = trend.filter((t) => t.segment_name === 'rfm-champions');
      expect(champ[1].change).toBe((champ[1].members ?? 0) - (champ[0].members ?? 0));
      await expect(migrationMatrix(wh, { fromRun: 99 })).rejects.toThrow('segment run 99 does not exist');
    }),
  );
});
