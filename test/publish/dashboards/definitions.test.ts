import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import * as vega from 'vega';
import { Warehouse } from '../../../src/warehouse/index.ts';
import {
  chartSvg,
  compileSpec,
  DashboardService,
  encodedFields,
  granularities,
  panelSpec,
  type ChartDef,
  type Dashboard,
} from '../../../src/publish/dashboards/index.ts';
import { tempDir } from '../../helpers.ts';
import { fixtureRange, seedDashboardFixture, seedModelOutputs } from './fixture.ts';

/**
 * The one test that walks dashboards/*: every definition parses, every chart's Vega-Lite compiles
 * without warnings, and every field a spec or table encodes exists in its query's output on a seeded warehouse.
 */
let wh: Warehouse;
let svc: DashboardService;
let cleanup: () => void;
let dir: string;

beforeAll(async () => {
  const t = tempDir();
  cleanup = t.cleanup;
  dir = t.dir;
  wh = await Warehouse.open(join(t.dir, 'crm.duckdb'));
  await seedDashboardFixture(wh);
  await seedModelOutputs(wh, dir);
  svc = new DashboardService(wh, { versionTtlMs: 0 });
});
afterAll(async () => {
  await wh?.close();
  cleanup?.();
});

const timeUnits = (spec: unknown): string[] => {
  const out: string[] = [];
  const walk = (n: unknown) => {
    if (Array.isArray(n)) return n.forEach(walk);
    if (n && typeof n === 'object') {
      for (const [k, v] of Object.entries(n)) {
        if (k === 'timeUnit' && typeof v === 'string') out.push(v);
        else walk(v);
      }
    }
  };
  walk(spec);
  return out;
};

describe('dashboards/*', () => {
  it('ships the five dashboards', () => {
    expect(svc.dashboards.map((d) => d.name)).toEqual(['executive', 'marketing', 'sales', 'service', 'ops']);
  });

  it('every definition has panels, titles and descriptions', () => {
    for (const d of svc.dashboards) {
      expect(d.panels.length, d.name).toBeGreaterThan(0);
      for (const p of [...d.kpis, ...d.panels]) {
        expect(p.title.length, `${d.name}/${p.id}`).toBeGreaterThan(0);
        expect(p.description.length, `${d.name}/${p.id}`).toBeGreaterThanOrEqual(10);
      }
    }
  });

  const cases = () => svc.dashboards.flatMap((d) => d.panels.filter((p): p is ChartDef => p.kind === 'chart').map((p) => [d, p] as [Dashboard, ChartDef]));

  it('every chart compiles without Vega-Lite warnings, with data and with no rows', async () => {
    let charts = 0;
    for (const [d, p] of cases()) {
      const state = await svc.filters(d, fixtureRange);
      const r = await svc.panel(d, p.id, state);
      for (const rows of [r.rows, []]) {
        const { warnings } = compileSpec(panelSpec(p, rows));
        expect(warnings, `${d.name}/${p.id}`).toEqual([]);
        const exported = compileSpec(panelSpec(p, rows, { width: 640, withTitle: true, granularity: 'month' }));
        expect(exported.warnings, `${d.name}/${p.id} (export)`).toEqual([]);
      }
      charts++;
    }
    expect(charts).toBeGreaterThanOrEqual(20);
  });

  it('exported charts keep a plot area: long descriptions wrap instead of squeezing it', async () => {
    for (const [d, p] of cases()) {
      const r = await svc.panel(d, p.id, await svc.filters(d, fixtureRange));
      // composite views (hconcat, facet) size each cell themselves
      if (!r.rows.length || ['facet', 'hconcat', 'vconcat', 'concat', 'repeat'].some((k) => k in p.spec)) continue;
      const view = new vega.View(vega.parse(compileSpec(panelSpec(p, r.rows, { width: 640, withTitle: true })).vega), { renderer: 'none' });
      await view.runAsync();
      expect(view.width(), `${d.name}/${p.id}`).toBeGreaterThan(200);
      view.finalize();
    }
  });

  it('period axes tick once per period, labelled for the granularity', async () => {
    const d = svc.get('executive');
    const p = d.panels.find((x) => x.id === 'revenue_by_period') as ChartDef;
    const r = await svc.panel(d, p.id, await svc.filters(d, { ...fixtureRange, granularity: 'quarter' }));
    expect(r.rows.map((x) => x.period)).toEqual(['2026-01-01', '2026-04-01']);
    const x = (s: unknown) => (s as { encoding: { x: { axis: Record<string, unknown> } } }).encoding.x.axis;
    expect(x(panelSpec(p, r.rows, { granularity: 'quarter' }))).toMatchObject({ tickCount: { interval: 'month', step: 3 }, labelExpr: "utcFormat(datum.value, 'Q%q %Y')" });
    // beyond 16 periods Vega's own ticks stay
    const many = Array.from({ length: 17 }, (_, i) => ({ ...r.rows[0], period: `2026-01-${String(i + 1).padStart(2, '0')}` }));
    expect(x(panelSpec(p, many, { granularity: 'day' }))?.tickCount).toBeUndefined();
    const svg = await chartSvg(p, r.rows, 640, 'quarter');
    expect(svg).toContain('Q1 2026');
    expect(svg).toContain('Q2 2026');
  });

  it('dates are shown in UTC: every timeUnit is a utc one', () => {
    for (const [d, p] of cases()) for (const tu of timeUnits(panelSpec(p, []))) expect(tu, `${d.name}/${p.id}`).toMatch(/^utc/);
  });

  it('every encoded field exists in its query output on the seeded warehouse', async () => {
    for (const d of svc.dashboards) {
      const state = await svc.filters(d, fixtureRange);
      for (const p of d.panels) {
        const r = await svc.panel(d, p.id, state);
        expect(r.empty?.reason, `${d.name}/${p.id}: ${r.empty?.message}`).not.toBe('missing_source');
        const columns = new Set(r.columns.map((c) => c.name));
        if (p.kind === 'table') {
          for (const c of p.columns) expect(columns.has(c.field), `${d.name}/${p.id} column ${c.field} not in ${[...columns]}`).toBe(true);
        } else {
          const { read, created } = encodedFields(p.spec);
          expect(read.size, `${d.name}/${p.id} encodes no field`).toBeGreaterThan(0);
          for (const f of read) if (!created.has(f)) expect(columns.has(f), `${d.name}/${p.id} encodes ${f}, not in ${[...columns]}`).toBe(true);
        }
      }
    }
  });

  it('every KPI returns value and previous_value, with change added', async () => {
    for (const d of svc.dashboards) {
      const state = await svc.filters(d, fixtureRange);
      for (const k of d.kpis) {
        const r = await svc.panel(d, k.id, state);
        expect(r.kind).toBe('kpi');
        expect(r.columns.map((c) => c.name), `${d.name}/${k.id}`).toEqual(['value', 'previous_value', 'change', 'change_pct']);
        expect(r.rows).toHaveLength(1);
      }
    }
  });

  it('every panel query runs at every granularity and with every choice filter set', async () => {
    for (const d of svc.dashboards) {
      for (const granularity of granularities) {
        const query: Record<string, string> = { ...fixtureRange };
        if (d.filters.includes('granularity')) query.granularity = granularity;
        if (d.filters.includes('region')) query.region = 'EMEA';
        if (d.filters.includes('rep')) query.rep = 'e1';
        const state = await svc.filters(d, query);
        for (const p of [...d.kpis, ...d.panels]) await expect(svc.panel(d, p.id, state), `${d.name}/${p.id} ${granularity}`).resolves.toBeTruthy();
      }
    }
  });
});
