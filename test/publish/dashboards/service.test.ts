import { describe, expect, it } from 'vitest';
import { DashboardService } from '../../../src/publish/dashboards/index.ts';
import type { Warehouse } from '../../../src/warehouse/index.ts';

/** A warehouse whose data-version reads answer only when the test says so (as during a load's commit). */
function slowWarehouse() {
  const pending: ((v: number) => void)[] = [];
  let reads = 0;
  const wh = {
    dataVersion: () => {
      reads++;
      return new Promise<number>((resolve) => pending.push(resolve));
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
