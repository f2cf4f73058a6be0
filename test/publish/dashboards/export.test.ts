import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Warehouse } from '../../../src/warehouse/index.ts';
import { DashboardService, exportDashboard, exportHtml } from '../../../src/publish/dashboards/index.ts';
import { tempDir } from '../../helpers.ts';
import { fixtureRange, seedDashboardFixture } from './fixture.ts';

let wh: Warehouse;
let svc: DashboardService;
let dir: string;
let cleanup: () => void;

beforeAll(async () => {
  const t = tempDir();
  dir = t.dir;
  cleanup = t.cleanup;
  wh = await Warehouse.open(join(dir, 'crm.duckdb'));
  await seedDashboardFixture(wh);
  svc = new DashboardService(wh, { versionTtlMs: 0 });
});
afterAll(async () => {
  await wh?.close();
  cleanup?.();
});

describe('static export', () => {
  it('HTML is self-contained: styles, scripts and data inline, no server URLs', async () => {
    const d = svc.get('executive');
    const html = await exportHtml(svc, d, await svc.filters(d, fixtureRange), '2026-07-01T08:00:00.000Z');
    expect(html).not.toMatch(/<script[^>]+src=/);
    expect(html).not.toMatch(/<link[^>]+stylesheet/);
    expect(html).not.toMatch(/href="\/(?!\/)/);
    expect(html).toContain('<style>');
    expect(html).toContain('exported 2026-07-01 08:00:00 UTC');
    expect(html).toContain('Filters: from: 2026-01-01 · to: 2026-06-30 · granularity: month · region: all · rep: all');
    const config = JSON.parse(/<script type="application\/json" id="dashboard-config">(.*?)<\/script>/s.exec(html)![1]);
    expect(config.mode).toBe('static');
    expect(config.data.revenue.rows[0].value).toBe(480.5);
    expect(config.data.revenue_by_period.rows).toHaveLength(6);
    // the vega builds are inline (each is hundreds of kB)
    expect(html.length).toBeGreaterThan(700_000);
  });

  it('a value cannot close the inline script', async () => {
    await wh.run(`update employees set name = '</script><script>alert(1)</script>' where employee_id = 'e1'`);
    await wh.run(`update warehouse_meta set value = '5' where key = 'data_version'`);
    const d = svc.get('sales');
    const html = await exportHtml(svc, d, await svc.filters(d, fixtureRange));
    expect(html).not.toContain('</script><script>alert(1)');
    expect(html).toContain('\\u003c/script>\\u003cscript>alert(1)\\u003c/script>');
    await wh.run(`update employees set name = 'Alice Ng' where employee_id = 'e1'`);
    await wh.run(`update warehouse_meta set value = '6' where key = 'data_version'`);
  });

  it('SVG: one per panel plus the KPI tiles, titled and described, with the data drawn', async () => {
    const out = join(dir, 'svg');
    const { files } = await exportDashboard(svc, 'executive', { format: 'svg', outDir: out, filters: fixtureRange });
    expect(files.map((f) => f.slice(out.length + 1))).toEqual([
      'executive-kpis.svg',
      'executive-revenue_by_period.svg',
      'executive-revenue_vs_forecast.svg',
      'executive-pipeline_by_category.svg',
      'executive-quota_attainment.svg',
    ]);
    const kpis = readFileSync(files[0], 'utf8');
    expect(kpis).toContain('480.50');
    expect(kpis).toContain('+1501.7 % vs previous period');
    expect(kpis).toContain('No CLV yet');
    const revenue = readFileSync(files[1], 'utf8');
    expect(revenue.startsWith('<svg')).toBe(true);
    expect(revenue).toContain('Revenue by period');
    expect((revenue.match(/aria-roledescription="bar"/g) ?? []).length).toBe(6);
  });

  it('PNG via resvg, and the table panels of Ops', async () => {
    const out = join(dir, 'png');
    const { files } = await exportDashboard(svc, 'ops', { format: 'png', outDir: out, filters: fixtureRange });
    expect(files).toHaveLength(8);
    for (const f of files) {
      const b = readFileSync(f);
      expect(b.subarray(0, 8).toString('hex'), f).toBe('89504e470d0a1a0a');
      expect(b.readUInt32BE(16), f).toBeGreaterThan(500); // width at 2× zoom
    }
    expect(readdirSync(out).some((f) => f.endsWith('.tmp'))).toBe(false);
    const { files: svgs } = await exportDashboard(svc, 'ops', { format: 'svg', outDir: join(dir, 'ops-svg'), filters: fixtureRange });
    const problems = readFileSync(svgs.find((f) => f.endsWith('problem_runs.svg'))!, 'utf8');
    expect(problems).toContain('orders.csv: file not found');
    expect(problems).toContain('2026-06-30 02:00 UTC');
  });

  it('rejects an unknown dashboard and bad filters before writing anything', async () => {
    await expect(exportDashboard(svc, 'nope', { format: 'html', outDir: join(dir, 'x') })).rejects.toThrow(/no dashboard "nope"/);
    await expect(exportDashboard(svc, 'ops', { format: 'html', outDir: join(dir, 'y'), filters: { region: 'EMEA' } })).rejects.toThrow(/unknown filter "region"/);
  });
});
