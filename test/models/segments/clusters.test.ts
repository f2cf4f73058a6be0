import { describe, expect, it } from 'vitest';
import { behaviouralClusters, clusterLabel, fitKMeans, runSegments } from '../../../src/models/segments/index.ts';
import { withWarehouse } from '../../helpers.ts';

describe('behavioural clusters', () => {
  it('labels centroids in words', () => {
    expect(clusterLabel([-1.2, 1.1, 0.9])).toBe('recent, frequent, high spend');
    expect(clusterLabel([1.4, -0.8, -0.7])).toBe('lapsed, rare, low spend');
    expect(clusterLabel([0.1, 0.2, -0.3])).toBe('average');
  });

  it('fits reproducibly and refuses more clusters than distinct points', () => {
    const pts = [[0, 0], [0, 0.1], [0.1, 0], [5, 5], [5, 5.1], [5.1, 5]];
    const a = fitKMeans(pts, 2, 7);
    expect(fitKMeans(pts, 2, 7)).toEqual(a);
    expect(a.map((c) => Math.round(c[0])).sort()).toEqual([0, 5]);
    expect(() => fitKMeans([[1, 1], [1, 1]], 2, 1)).toThrow('only 1 distinct customer profiles: ask for at most 1 clusters');
  });

  it('recovers three planted groups and assigns every customer in SQL', () =>
    withWarehouse(async (wh) => {
      // A 1..30: ten 100-purchases in the last 50 days; B 31..60: one 20-purchase a year ago; C 61..90: three 50-purchases ~2-4 months ago
      await wh.run('insert into customers (customer_id) select range from range(1, 91)');
      await wh.run(`insert into orders (order_id, customer_id, ordered_at, status, total_amount)
        select 'a' || c || '-' || j, c, timestamptz '2026-06-30 10:00:00+00' - to_days(cast(j * 5 + c % 3 as integer)), 'completed', 100
          from range(1, 31) t(c), range(0, 10) u(j)
        union all
        select 'b' || c, c, timestamptz '2025-06-30 10:00:00+00' - to_days(cast(c % 7 as integer)), 'completed', 20 from range(31, 61) t(c)
        union all
        select 'c' || c || '-' || j, c, timestamptz '2026-04-01 10:00:00+00' - to_days(cast(j * 20 + c % 5 as integer)), 'completed', 50
          from range(61, 91) t(c), range(0, 3) u(j)`);
      const run = await runSegments(wh, { asOf: '2026-06-30' });
      const r = await behaviouralClusters(wh, { k: 3, seed: 1 });
      expect(r.runId).toBe(run.runId);
      expect(r.clusters.map((c) => [c.cluster, c.customers, c.label])).toEqual([
        [1, 30, 'recent, frequent, high spend'],
        [2, 30, 'average'],
        [3, 30, 'lapsed, rare, low spend'],
      ]);
      expect(r.clusters[0].frequency).toBeCloseTo(10, 6);
      expect(r.clusters[0].monetary).toBeCloseTo(1000, 6);
      expect(r.clusters[2].monetary).toBeCloseTo(20, 6);
      const byGroup = await wh.all<{ g: number; clusters: number[] }>(
        `select (customer_id - 1) // 30 as g, list(distinct cluster order by cluster) as clusters from customer_clusters where run_id = $r group by g order by g`,
        { r: run.runId },
      );
      expect(byGroup).toEqual([{ g: 0, clusters: [1] }, { g: 1, clusters: [3] }, { g: 2, clusters: [2] }]);
      const again = await behaviouralClusters(wh, { k: 3, seed: 1 });
      expect(again.clusters).toEqual(r.clusters);
      const [{ n }] = await wh.all<{ n: number }>('select count(*) as n from customer_clusters where run_id = $r', { r: run.runId });
      expect(n).toBe(90);
      await expect(behaviouralClusters(wh, { k: 1 })).rejects.toThrow('k = 1: choose 2 to 20 clusters');
    }));
});
