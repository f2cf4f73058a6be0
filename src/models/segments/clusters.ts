import { sql } from 'kysely';
import { kMeansCluster } from 'simple-statistics';
import { AppError } from '../../errors.ts';
import type { Warehouse } from '../../warehouse/index.ts';
import { seededRandom } from '../forecast/stats.ts';
import { segmentDb } from './tables.ts';

/**
 * Behavioural clusters: k-means on standardised log(1 + x) of recency days, frequency and monetary
 * value from a segment run's RFM scores. The centroids are fitted in JS (simple-statistics) on a
 * deterministic sample (md5 of seed and customer id, so the same seed picks the same customers),
 * with several seeded restarts keeping the lowest within-cluster sum of squares; every customer is
 * then assigned to its nearest centroid in SQL. Clusters are numbered by centroid spend (1 = highest)
 * and labelled from their centroids.
 */

export interface ClusterOptions {
  /** Segment run whose RFM scores are clustered (default: the latest succeeded). */
  runId?: number;
  k?: number;
  seed?: number;
  /** Customers the centroids are fitted on (default 20,000). */
  sampleSize?: number;
  restarts?: number;
}

export interface Cluster {
  cluster: number;
  label: string;
  customers: number;
  share: number;
  recency_days: number;
  frequency: number;
  monetary: number;
  z_recency: number;
  z_frequency: number;
  z_monetary: number;
}

/** A centroid in words: recency, frequency and spend relative to the average customer (z beyond ±0.5). */
export function clusterLabel([r, f, m]: number[]): string {
  const words = [r < -0.5 ? 'recent' : r > 0.5 ? 'lapsed' : '', f > 0.5 ? 'frequent' : f < -0.5 ? 'rare' : '', m > 0.5 ? 'high spend' : m < -0.5 ? 'low spend' : ''].filter(Boolean);
  return words.length ? words.join(', ') : 'average';
}

function inertia(points: number[][], labels: number[], centroids: number[][]): number {
  let s = 0;
  for (let i = 0; i < points.length; i++) {
    const c = centroids[labels[i]];
    for (let j = 0; j < c.length; j++) s += (points[i][j] - c[j]) ** 2;
  }
  return s;
}

/**
 * Fits k centroids; several seeded restarts, the lowest sum of squares wins. Restarts whose random
 * start picked the same point twice (an empty cluster) are skipped.
 */
export function fitKMeans(points: number[][], k: number, seed: number, restarts = 8): number[][] {
  const distinct = new Set(points.map((p) => p.join(','))).size;
  if (distinct < k) throw new AppError('MODEL', `only ${distinct} distinct customer profiles: ask for at most ${distinct} clusters`);
  let best: { centroids: number[][]; ss: number } | undefined;
  const random = seededRandom(seed);
  for (let attempt = 0; attempt < restarts * 5 && (!best || attempt < restarts); attempt++) {
    try {
      const { labels, centroids } = kMeansCluster(points, k, random);
      const ss = inertia(points, labels, centroids);
      if (!best || ss < best.ss) best = { centroids, ss };
    } catch {
      // an empty cluster: try another start
    }
  }
  if (!best) throw new AppError('MODEL', `k-means found no ${k} non-empty clusters; try a smaller k or another seed`);
  return best.centroids;
}

/**
 * @example
 * const c = await behaviouralClusters(wh, { k: 5 });
 * c.clusters[0] // { cluster: 1, label: 'recent, frequent, high spend', customers: 51234, … }
 */
export async function behaviouralClusters(wh: Warehouse, o: ClusterOptions = {}): Promise<{ runId: number; asOf: string; k: number; seed: number; sampleSize: number; clusters: Cluster[] }> {
  const k = o.k ?? 5;
  const seed = o.seed ?? 42;
  const sampleSize = o.sampleSize ?? 20_000;
  if (!Number.isInteger(k) || k < 2 || k > 20) throw new AppError('VALIDATION', `k = ${k}: choose 2 to 20 clusters`);
  const [run] =
    o.runId !== undefined
      ? await wh.all<{ run_id: number; as_of: string }>("select run_id, as_of from segment_runs where run_id = $r and status = 'succeeded'", { r: o.runId })
      : await wh.all<{ run_id: number; as_of: string }>("select run_id, as_of from segment_runs where status = 'succeeded' order by run_id desc limit 1");
  if (!run) throw new AppError('NOT_FOUND', o.runId !== undefined ? `no succeeded segment run ${o.runId}` : 'no segment run yet: run `crm segment run` first');
  const features = `ln(1 + recency_days) as r, ln(1 + frequency) as f, ln(1 + greatest(monetary, 0)) as m`;
  const [stats] = await wh.all<{ n: number; mr: number; sr: number; mf: number; sf: number; mm: number; sm: number }>(
    `select count(*) as n, avg(r) as mr, stddev_pop(r) as sr, avg(f) as mf, stddev_pop(f) as sf, avg(m) as mm, stddev_pop(m) as sm
     from (select ${features} from rfm_scores where run_id = $run)`,
    { run: run.run_id },
  );
  if (stats.n < k) throw new AppError('MODEL', `run ${run.run_id} scored ${stats.n} customers: too few for ${k} clusters`);
  const sd = (x: number) => (x > 0 ? x : 1); // a constant feature stays 0 after standardising
  const z = { mr: stats.mr, sr: sd(stats.sr), mf: stats.mf, sf: sd(stats.sf), mm: stats.mm, sm: sd(stats.sm) };
  const sample = await wh.all<{ r: number; f: number; m: number }>(
    `select (r - $mr) / $sr as r, (f - $mf) / $sf as f, (m - $mm) / $sm as m
     from (select customer_id, ${features} from rfm_scores where run_id = $run)
     order by md5($seed || ':' || customer_id::varchar) limit $n`,
    { run: run.run_id, seed: String(seed), n: sampleSize, ...z },
  );
  const fitted = fitKMeans(sample.map((p) => [p.r, p.f, p.m]), k, seed, o.restarts ?? 8);
  // Number clusters by spend, then frequency, then recency (most recent first).
  const centroids = [...fitted].sort((a, b) => b[2] - a[2] || b[1] - a[1] || a[0] - b[0]);
  const nearest = sql`list_position(d, list_min(d))`;
  const dist = sql.join(centroids.map((c) => sql`(zr - ${c[0]}) ^ 2 + (zf - ${c[1]}) ^ 2 + (zm - ${c[2]}) ^ 2`));
  const assign = sql`insert into customer_clusters
    select ${run.run_id}, customer_id, ${nearest} from (
      select customer_id, [${dist}] as d from (
        select customer_id, (ln(1 + recency_days) - ${z.mr}) / ${z.sr} as zr, (ln(1 + frequency) - ${z.mf}) / ${z.sf} as zf,
               (ln(1 + greatest(monetary, 0)) - ${z.mm}) / ${z.sm} as zm
        from rfm_scores where run_id = ${run.run_id}))`.compile(segmentDb(wh));
  const back = (zv: number, mean: number, s: number) => Math.expm1(zv * s + mean);
  const labels = centroids.map(clusterLabel);
  const unique = labels.map((l, i) => (labels.indexOf(l) !== i ? `${l} (${labels.slice(0, i + 1).filter((x) => x === l).length})` : l));
  const clusters = await wh.transaction(async (tx) => {
    await tx.run('delete from customer_clusters where run_id = $run', { run: run.run_id });
    await tx.run('delete from segment_clusters where run_id = $run', { run: run.run_id });
    await tx.run(assign.sql, [...assign.parameters]);
    const sizes = await tx.all<{ cluster: number; n: number }>('select cluster, count(*) as n from customer_clusters where run_id = $run group by cluster', { run: run.run_id });
    const out: Cluster[] = centroids.map((c, i) => {
      const customers = sizes.find((s) => s.cluster === i + 1)?.n ?? 0;
      return {
        cluster: i + 1,
        label: unique[i],
        customers,
        share: customers / stats.n,
        recency_days: back(c[0], z.mr, z.sr),
        frequency: back(c[1], z.mf, z.sf),
        monetary: back(c[2], z.mm, z.sm),
        z_recency: c[0],
        z_frequency: c[1],
        z_monetary: c[2],
      };
    });
    for (const c of out)
      await tx.run(
        `insert into segment_clusters values ($run, $k, $cluster, $label, $customers, $share, $recency_days, $frequency, $monetary, $z_recency, $z_frequency, $z_monetary, $seed, $sample, now())`,
        { run: run.run_id, k, seed, sample: sample.length, ...c },
      );
    return out;
  });
  return { runId: run.run_id, asOf: run.as_of, k, seed, sampleSize: sample.length, clusters };
}
