import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDemo } from '../../../src/demo/index.ts';
import { findPipelineFiles, runAll } from '../../../src/ingest/index.ts';
import { models } from '../../../src/models/index.ts';
import { DashboardService, encodedFields } from '../../../src/publish/dashboards/index.ts';
import { createExport } from '../../../src/publish/exports/export.ts';
import { Warehouse } from '../../../src/warehouse/index.ts';
import { tempDir } from '../../helpers.ts';

/**
 * Every dashboard on a real (small) demo warehouse: `crm generate` → every demo pipeline → every model,
 * as a user gets it. Each panel, with the default filters, has rows and every field its spec encodes;
 * the panels that need history a fresh warehouse cannot have are listed with the reason and must say so.
 */
const { dir, cleanup } = tempDir();
const out = join(dir, 'export');
let wh: Warehouse;
let svc: DashboardService;
const saved = process.env.CRM_DEMO_DIR;

/** Empty on a fresh demo warehouse by design, with the words their empty state must contain. */
const needsHistory: Record<string, RegExp> = {
  'marketing/segment_migration': /two segment runs/, // one segments run so far
  'marketing/campaign_lift': /holdout/, // no export with a holdout yet
  'sales/forecast_accuracy': /--as-of/, // no forecast made before a completed month
  'ops/problem_runs': /No failed or skipped runs/, // every demo pipeline succeeds
};

beforeAll(async () => {
  await generateDemo({ customers: 600, seed: 42, out, exportDate: '2026-10-31' });
  process.env.CRM_DEMO_DIR = out;
  wh = await Warehouse.open(join(dir, 'crm.duckdb'));
  const runs = await runAll(wh, findPipelineFiles('pipelines/demo'));
  expect(runs.filter((r) => r.status !== 'succeeded').map((r) => `${r.pipeline}: ${r.error}`)).toEqual([]);
  for (const m of models) await m.run(wh, {});
  svc = new DashboardService(wh, { versionTtlMs: 0 });
}, 600_000);

afterAll(async () => {
  await wh?.close();
  if (saved === undefined) delete process.env.CRM_DEMO_DIR;
  else process.env.CRM_DEMO_DIR = saved;
  cleanup();
});

describe('dashboards on the demo warehouse', () => {
  it('every panel has rows and every encoded field, except those that need history (which say what to do)', async () => {
    const problems: string[] = [];
    for (const d of svc.dashboards) {
      const state = await svc.filters(d, {});
      for (const p of [...d.kpis.map((k) => ({ ...k, kind: 'kpi' as const })), ...d.panels]) {
        const key = `${d.name}/${p.id}`;
        const r = await svc.panel(d, p.id, state);
        if (needsHistory[key]) {
          if (!r.empty || !needsHistory[key].test(r.empty.message)) problems.push(`${key}: expected the empty state ${needsHistory[key]}, got ${r.empty?.message ?? `${r.rows.length} rows`}`);
          continue;
        }
        if (r.empty) {
          problems.push(`${key}: empty (${r.empty.message})`);
          continue;
        }
        const columns = new Set(r.columns.map((c) => c.name));
        const fields = p.kind === 'kpi' ? ['value', 'previous_value'] : p.kind === 'table' ? p.columns.map((c) => c.field) : [...encodedFields(p.spec).read].filter((f) => !encodedFields(p.spec).created.has(f));
        for (const f of fields) if (!columns.has(f)) problems.push(`${key}: encodes ${f}, not in ${[...columns].join(', ')}`);
      }
    }
    expect(problems).toEqual([]);
  }, 120_000);

  it('the deal funnel has no closing stage as a step, and every pipeline ends in won', async () => {
    const d = svc.get('sales');
    const r = await svc.panel(d, 'funnel', await svc.filters(d, {}));
    expect(r.rows.filter((x) => /closed/i.test(String(x.stage)))).toEqual([]);
    const pipelines = [...new Set(r.rows.map((x) => x.pipeline))];
    expect(pipelines.length).toBeGreaterThan(0);
    for (const p of pipelines) {
      const steps = r.rows.filter((x) => x.pipeline === p);
      expect(steps.at(-1)!.stage, String(p)).toBe('won');
      // reached never grows along the steps
      for (let i = 1; i < steps.length; i++) expect(steps[i].reached as number, `${p} ${steps[i].stage}`).toBeLessThanOrEqual(steps[i - 1].reached as number);
    }
  });

  it('history-dependent panels fill in once the history exists', async () => {
    const byName = new Map(models.map((m) => [m.name, m]));
    // a second segments run, forecasts made at two past month ends, a campaign exported with a holdout
    await byName.get('segments')!.run(wh, { asOf: '2026-10-30' });
    for (const asOf of ['2026-07-31', '2026-08-31']) await byName.get('forecast')!.run(wh, { asOf });
    const [campaign] = await wh.all<{ campaign_id: string; started_at: string }>(
      `select campaign_id, started_at from campaigns where started_at between '2026-07-01' and '2026-09-30' and channel = 'email' order by started_at limit 1`,
    );
    await createExport(wh, { segment: 'rfm-champions', channel: 'email', out: join(dir, 'champions.csv'), holdout: 0.2, campaign: campaign.campaign_id, seed: 's', asOf: campaign.started_at });
    await wh.run(`update warehouse_meta set value = cast(cast(value as integer) + 1 as varchar) where key = 'data_version'`);
    for (const key of ['marketing/segment_migration', 'marketing/campaign_lift', 'sales/forecast_accuracy']) {
      const [name, id] = key.split('/');
      const d = svc.get(name);
      const r = await svc.panel(d, id, await svc.filters(d, {}));
      expect(r.empty, `${key}: ${r.empty?.message}`).toBeNull();
      expect(r.rows.length, key).toBeGreaterThan(0);
    }
  }, 120_000);
});
