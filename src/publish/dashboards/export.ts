import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ValidationError } from '../../errors.ts';
import type { PanelResult } from './data.ts';
import type { FilterState } from './filters.ts';
import { dashboardPage } from './page.ts';
import { chartSvg, emptySvg, kpiSvg, svgToPng, tableSvg } from './render.ts';
import type { Dashboard, Granularity } from './schema.ts';
import type { DashboardService } from './service.ts';

export type ExportFormat = 'html' | 'svg' | 'png';

/** Every KPI's and panel's result for one filter state. */
export async function allPanels(svc: DashboardService, dashboard: Dashboard, state: FilterState): Promise<Map<string, PanelResult>> {
  const ids = [...dashboard.kpis.map((k) => k.id), ...dashboard.panels.map((p) => p.id)];
  const results = await Promise.all(ids.map((id) => svc.panel(dashboard, id, state)));
  return new Map(ids.map((id, i) => [id, results[i]]));
}

/** One self-contained HTML file: styles, vega builds, the client script and all panel data inline. */
export async function exportHtml(svc: DashboardService, dashboard: Dashboard, state: FilterState, generatedAt = new Date().toISOString()): Promise<string> {
  const [data, options, dataAsOf, dataVersion] = await Promise.all([allPanels(svc, dashboard, state), svc.options(dashboard), svc.asOf(), svc.version()]);
  return dashboardPage({ dashboard, dashboards: svc.dashboards, state, options, dataAsOf, dataVersion, mode: 'static', data, generatedAt });
}

/** SVG per panel (and one for the KPI tiles), keyed by file name without extension. */
export async function exportSvgs(svc: DashboardService, dashboard: Dashboard, state: FilterState): Promise<Map<string, string>> {
  const data = await allPanels(svc, dashboard, state);
  const out = new Map<string, string>();
  if (dashboard.kpis.length) out.set(`${dashboard.name}-kpis`, kpiSvg(dashboard, data, 1000));
  for (const p of dashboard.panels) {
    const r = data.get(p.id)!;
    const width = p.width === 'wide' ? 1000 : 640;
    let svg: string;
    if (r.empty) svg = emptySvg(p.title, r.empty.message, width);
    else if (p.kind === 'table') svg = tableSvg(p, r.rows, width, dashboard.currency);
    else svg = await chartSvg(p, r.rows, width, typeof r.params.granularity === 'string' ? (r.params.granularity as Granularity) : undefined);
    out.set(`${dashboard.name}-${p.id}`, svg);
  }
  return out;
}

/** Writes a file through a temporary name, so a reader never sees half of it. */
function writeAtomic(path: string, content: string | Buffer): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, content);
  renameSync(tmp, path);
}

/**
 * `crm dashboard export`: writes `<out>/<name>.html`, or one `<name>-<panel>.svg|png` per panel
 * plus `<name>-kpis.svg|png`. Returns the files written.
 *
 * @example
 * await exportDashboard(svc, 'executive', { format: 'png', outDir: 'out', filters: { region: 'EMEA' } });
 */
export async function exportDashboard(
  svc: DashboardService,
  name: string,
  options: { format: ExportFormat; outDir: string; filters?: Record<string, string> },
): Promise<{ files: string[]; state: FilterState }> {
  const dashboard = svc.get(name);
  const state = await svc.filters(dashboard, options.filters ?? {});
  try {
    mkdirSync(options.outDir, { recursive: true });
  } catch (e) {
    throw new ValidationError(`cannot create the output folder: ${(e as Error).message}`, { field: '--out' });
  }
  const files: string[] = [];
  if (options.format === 'html') {
    const path = join(options.outDir, `${dashboard.name}.html`);
    writeAtomic(path, await exportHtml(svc, dashboard, state));
    files.push(path);
  } else {
    for (const [base, svg] of await exportSvgs(svc, dashboard, state)) {
      const path = join(options.outDir, `${base}.${options.format}`);
      writeAtomic(path, options.format === 'svg' ? svg : svgToPng(svg));
      files.push(path);
    }
  }
  return { files, state };
}
