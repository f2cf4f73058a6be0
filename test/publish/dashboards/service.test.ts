import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runPipelineFile } from '../../../src/ingest/index.ts';
import { models } from '../../../src/models/index.ts';
import { DashboardService } from '../../../src/publish/dashboards/index.ts';
import { Warehouse } from '../../../src/warehouse/index.ts';
import { tempDir } from '../../helpers.ts';
import { seedDashboardFixture } from './fixture.ts';

/** A warehouse whose version reads answer only when the test says so (as during a load's commit). */
function slowWarehouse() {
  const pending: ((v: number) => void)[] = [];
  let reads = 0;
  const wh = {
    all: () => {
      reads++;
      return new Promise((resolve) => pending.push((v) => resolve([{ data_version: v, state: '0' }])));
    },
  } as unknown as Warehouse;
  return { wh, answer: (v: number) => pending.splice(0).forEach((r) => r(v)), reads: () => reads };
}

describe('DashboardService.version', () => {
  it('concurrent callers share one read; a slow read answers the last version after staleAfterMs, then the new one', async () => {
    const { wh, answer, reads } = slowWarehouse();
    const svc = new DashboardService(wh, { versionTtlMs: 0, staleAfterMs: 30 });
    // the first read has nothing older to fall back on: it waits
    const first = [svc.version(), svc.version()];
    expect(reads()).toBe(1);
    answer(7);
    expect(await Promise.all(first)).toEqual([7, 7]);

    // the next read hangs (a commit holds DuckDB): callers get 7 after 30 ms instead of waiting
    const t = performance.now();
    const during = await Promise.all([svc.version(), svc.version(), svc.version()]);
    expect(during).toEqual([7, 7, 7]);
    expect(performance.now() - t).toBeLessThan(1000);
    expect(reads()).toBe(2);

    // once it completes, 8 is the version callers get (here from the next read, which hangs in turn)
    answer(8);
    await new Promise((r) => setTimeout(r, 0));
    expect(await svc.version()).toBe(8);
    answer(9);
  });

  it('staleAfterMs 0 always waits for the read', async () => {
    const { wh, answer } = slowWarehouse();
    const svc = new DashboardService(wh, { versionTtlMs: 0, staleAfterMs: 0 });
    const a = svc.version();
    answer(1);
    await a;
    let settled = false;
    const b = svc.version().then((v) => ((settled = true), v));
    await new Promise((r) => setTimeout(r, 60));
    expect(settled).toBe(false);
    answer(2);
    expect(await b).toBe(2);
  });
});

describe('DashboardService cache: what invalidates a cached panel', () => {
  let wh: Warehouse;
  let svc: DashboardService;
  let dir: string;
  let cleanup: () => void;
  beforeAll(async () => {
    ({ dir, cleanup } = tempDir());
    wh = await Warehouse.open(join(dir, 'crm.duckdb'));
    await seedDashboardFixture(wh);
    svc = new DashboardService(wh, { versionTtlMs: 0 });
  });
  afterAll(async () => {
    await wh?.close();
    cleanup?.();
  });
  const panel = async (dashboard: string, id: string) => {
    const d = svc.get(dashboard);
    return svc.panel(d, id, await svc.filters(d, {}));
  };

  it('a model run shows on the next request, without a load (data_version unchanged)', async () => {
    const version = await wh.dataVersion();
    const before = await panel('marketing', 'segment_sizes');
    expect(before.empty).toMatchObject({ reason: 'missing_source' });
    expect(await panel('marketing', 'segment_sizes')).toBe(before); // cached
    await models.find((m) => m.name === 'segments')!.run(wh, { asOf: '2026-06-30' });
    expect(await wh.dataVersion()).toBe(version);
    const after = await panel('marketing', 'segment_sizes');
    expect(after.empty).toBeNull();
    expect(after.rows.length).toBeGreaterThan(0);
  });

  it('a failed load shows on the ops dashboard although it changed no data', async () => {
    const version = await wh.dataVersion();
    const rowFor = async () => (await panel('ops', 'freshness')).rows.find((r) => r.pipeline === 'crm-accounts-broken');
    expect(await rowFor()).toBeUndefined();
    // a run that starts changes no answer: cached panels keep answering while a load runs
    const cached = await panel('ops', 'freshness');
    await wh.run("insert into pipeline_runs (pipeline, entity, source, status, started_at) values ('crm-orders', 'orders', 'orders.csv', 'running', now())");
    expect(await panel('ops', 'freshness')).toBe(cached);
    await wh.run("delete from pipeline_runs where pipeline = 'crm-orders' and status = 'running'");
    writeFileSync(join(dir, 'accounts.csv'), 'Name,Industry\nAcme,Retail\n');
    const file = join(dir, 'accounts.json');
    writeFileSync(file, JSON.stringify({ name: 'crm-accounts-broken', source: { type: 'csv', path: join(dir, 'accounts.csv') }, entity: 'accounts', mapping: { account_id: 'Account ID', name: 'Name' } }));
    const r = await runPipelineFile(wh, file);
    expect(r.status).toBe('failed');
    expect(await wh.dataVersion()).toBe(version);
    expect(await rowFor()).toMatchObject({ last_status: 'failed' });
  });

  it('startRefresh computes the viewed panels again after a change, the default range moved to the new anchor', async () => {
    svc = new DashboardService(wh, { versionTtlMs: 0 });
    svc.startRefresh({ pollMs: 20 });
    try {
      const exec = svc.get('executive');
      const defaults = await svc.filters(exec, {});
      const kpiBefore = await svc.panel(exec, 'revenue', defaults);
      const fixed = await svc.filters(exec, { from: '2026-01-01', to: '2026-06-30' });
      await svc.panel(exec, 'revenue_by_period', fixed);
      const misses = svc.cacheStats().misses;
      // a load commits an order after the last one: the anchor, and with it the default range, moves
      await wh.run("insert into orders (order_id, customer_id, ordered_at, status, total_amount) values ('o-new', 1, '2026-08-15T10:00:00Z', 'completed', 500)");
      await wh.run("update warehouse_meta set value = cast(cast(value as integer) + 1 as varchar) where key = 'data_version'");
      await vi.waitFor(() => expect(svc.cacheStats().misses).toBe(misses + 2), { timeout: 5000, interval: 20 });

      const hits = svc.cacheStats().hits;
      const newDefaults = await svc.filters(exec, {});
      expect(newDefaults.to).toBe('2026-08-15');
      const kpiAfter = await svc.panel(exec, 'revenue', newDefaults);
      await svc.panel(exec, 'revenue_by_period', fixed);
      expect(svc.cacheStats()).toMatchObject({ hits: hits + 2, misses: misses + 2 });
      // the refreshed figure is the one a service with an empty cache computes
      const fresh = new DashboardService(wh, { versionTtlMs: 0 });
      expect(kpiAfter.rows).toEqual((await fresh.panel(exec, 'revenue', await fresh.filters(exec, {}))).rows);
      expect(kpiAfter.rows[0].value).not.toEqual(kpiBefore.rows[0].value);
    } finally {
      svc.stopRefresh();
      await wh.run("delete from orders where order_id = 'o-new'");
    }
  });

  it('a panel with maxAgeSeconds is computed again once its result is older than that', async () => {
    vi.useFakeTimers({ toFake: ['performance'] });
    try {
      svc = new DashboardService(wh, { versionTtlMs: 0 }); // an empty cache, timed by the fake clock
      const first = await panel('ops', 'freshness');
      vi.advanceTimersByTime(59_000);
      expect(await panel('ops', 'freshness')).toBe(first);
      vi.advanceTimersByTime(2_000);
      const again = await panel('ops', 'freshness');
      expect(again).not.toBe(first);
      expect(again.rows.map((r) => r.pipeline)).toEqual(first.rows.map((r) => r.pipeline));
      // a panel without maxAgeSeconds stays cached
      const kpi = await panel('ops', 'runs');
      vi.advanceTimersByTime(3_600_000);
      expect(await panel('ops', 'runs')).toBe(kpi);
    } finally {
      vi.useRealTimers();
    }
  });
});
