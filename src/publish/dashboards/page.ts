import { escapeHtml } from './html.ts';
import { assetText, assetsDir, vendorFiles, vendorScripts } from './assets.ts';
import { join } from 'node:path';
import type { PanelResult } from './data.ts';
import { filterKeys, type FilterState } from './filters.ts';
import type { FilterOptions } from './service.ts';
import { granularities, type Dashboard, type FilterParamName } from './schema.ts';
import { panelSpec } from './spec.ts';
import { layout } from './layout.ts';

export interface PageOptions {
  dashboard: Dashboard;
  /** All dashboards, for the navigation. */
  dashboards: Pick<Dashboard, 'name' | 'title'>[];
  state: FilterState;
  options: FilterOptions;
  dataAsOf: string | null;
  dataVersion: number;
  /**
   * `server`: panels fetch `/api/dashboards/…`; filters re-query. `static`: one self-contained file,
   * scripts, styles and every panel's data inline (the filters shown are the ones it was made with).
   */
  mode: 'server' | 'static';
  /** Static mode: every panel's result. */
  data?: Map<string, PanelResult>;
  /** When the static file was made (ISO). */
  generatedAt?: string;
}

/** The JSON the client script reads; `<` escaped so no value can close the script element. */
function jsonForScript(v: unknown): string {
  return JSON.stringify(v).replaceAll('<', '\\u003c').replaceAll('\u2028', '\\u2028').replaceAll('\u2029', '\\u2029');
}

/** Filter parameters a panel's result depends on, for the "not filtered by" note. */
function ignoredFilters(d: Dashboard, id: string): string[] {
  const used = new Set<FilterParamName>(d.queries.get(id)!.filterParams);
  return d.filters.filter((f) => !filterKeys[f].some((k) => used.has(k as FilterParamName)) && !(f === 'date_range' && used.has('prev_from')));
}

const filterLabels: Record<string, string> = { date_range: 'date range', granularity: 'granularity', region: 'region', rep: 'rep', segment: 'segment' };

function filterForm(o: PageOptions): string {
  const d = o.dashboard;
  const s = o.state;
  const parts: string[] = [];
  if (d.filters.includes('date_range')) {
    parts.push(`<label>From <input type="date" name="from" value="${escapeHtml(s.from)}" required></label>`);
    parts.push(`<label>To <input type="date" name="to" value="${escapeHtml(s.to)}" required></label>`);
  }
  if (d.filters.includes('granularity')) {
    const opts = granularities.map((g) => `<option value="${g}"${g === s.granularity ? ' selected' : ''}>${g[0].toUpperCase()}${g.slice(1)}</option>`).join('');
    parts.push(`<label>Granularity <select name="granularity">${opts}</select></label>`);
  }
  for (const f of ['region', 'rep', 'segment'] as const) {
    if (!d.filters.includes(f)) continue;
    const choices = o.options[f] ?? [];
    const current = s[f];
    const known = choices.some((c) => c.value === current);
    const opts = [
      `<option value="">All</option>`,
      ...choices.map((c) => `<option value="${escapeHtml(c.value)}"${c.value === current ? ' selected' : ''}>${escapeHtml(c.label)}</option>`),
      ...(current && !known ? [`<option value="${escapeHtml(current)}" selected>${escapeHtml(current)}</option>`] : []),
    ].join('');
    const label = f === 'rep' ? 'Rep' : f === 'region' ? 'Region' : 'Segment';
    parts.push(`<label>${label} <select name="${f}"${choices.length ? '' : ' disabled title="No choices in the warehouse yet"'}>${opts}</select></label>`);
  }
  if (o.mode === 'static') {
    const shown = d.filters
      .flatMap((f) => filterKeys[f].map((k) => `${k}: ${s[k] ?? 'all'}`))
      .join(' · ');
    return `<p class="filters static-filters">Filters: ${escapeHtml(shown)}</p>`;
  }
  return `<form class="filters" id="filters" method="get" action="/dashboards/${escapeHtml(d.name)}" aria-label="Filters">${parts.join('\n')}<button type="submit">Apply</button><span class="filter-status" role="status" aria-live="polite"></span></form>`;
}

function kpiTile(d: Dashboard, k: Dashboard['kpis'][number]): string {
  const id = `kpi-${k.id}`;
  return `<article class="kpi" id="${id}" data-panel="${escapeHtml(k.id)}" aria-labelledby="${id}-title" aria-describedby="${id}-desc">
<h3 id="${id}-title">${escapeHtml(k.title)}</h3>
<p class="value" aria-live="polite">…</p>
<p class="change"></p>
<p class="visually-hidden" id="${id}-desc">${escapeHtml(k.description)}</p>
</article>`;
}

function panelSection(o: PageOptions, p: Dashboard['panels'][number]): string {
  const d = o.dashboard;
  const id = `panel-${p.id}`;
  const ignored = ignoredFilters(d, p.id).map((f) => filterLabels[f]);
  return `<section class="panel${p.width === 'wide' ? ' wide' : ''}" id="${id}" data-panel="${escapeHtml(p.id)}" data-kind="${p.kind}" aria-labelledby="${id}-title" aria-describedby="${id}-desc">
<header><h2 id="${id}-title">${escapeHtml(p.title)}</h2><span class="panel-actions"><a class="csv-link" href="#" download="${escapeHtml(`${d.name}-${p.id}.csv`)}">Download CSV<span class="visually-hidden"> of ${escapeHtml(p.title)}</span></a></span></header>
<p class="description" id="${id}-desc">${escapeHtml(p.description)}${ignored.length ? ` <span class="ignored">Not filtered by ${escapeHtml(ignored.join(', '))}.</span>` : ''}</p>
<div class="chart" aria-busy="true"><p class="loading">Loading…</p></div>
<details class="data-table"><summary>Data table<span class="visually-hidden"> of ${escapeHtml(p.title)}</span></summary><div class="table-scroll"></div></details>
</section>`;
}

/** The client's view of the dashboard: specs without data, table columns, KPI formats. */
function clientConfig(o: PageOptions) {
  const d = o.dashboard;
  return {
    mode: o.mode,
    dashboard: d.name,
    title: d.title,
    currency: d.currency ?? null,
    apiBase: `/api/dashboards/${d.name}`,
    filterKeys: d.filters.flatMap((f) => filterKeys[f]),
    state: o.state,
    kpis: d.kpis.map((k) => ({ id: k.id, title: k.title, format: k.format, better: k.better })),
    panels: d.panels.map((p) =>
      p.kind === 'chart'
        ? { id: p.id, kind: p.kind, title: p.title, spec: panelSpec(p, null) }
        : { id: p.id, kind: p.kind, title: p.title, columns: p.columns, maxRows: p.maxRows },
    ),
    data: o.mode === 'static' && o.data ? Object.fromEntries(o.data) : null,
  };
}

/**
 * The dashboard page. In server mode it references /assets and /vendor; in static mode it
 * inlines them, so the file opens from an e-mail attachment with no network.
 */
export function dashboardPage(o: PageOptions): string {
  const d = o.dashboard;
  const isStatic = o.mode === 'static';
  const css = isStatic ? `<style>${assetText(join(assetsDir, 'dashboard.css'))}</style>` : '<link rel="stylesheet" href="/assets/dashboard.css">';
  const scripts = vendorScripts
    .map((f) => (isStatic ? `<script>${assetText(vendorFiles[f]).replaceAll('</script', '<\\/script')}</script>` : `<script src="/vendor/${f}"></script>`))
    .concat(isStatic ? `<script>${assetText(join(assetsDir, 'dashboard.js'))}</script>` : '<script src="/assets/dashboard.js"></script>')
    .join('\n');
  const asOf = o.dataAsOf ? `<time datetime="${escapeHtml(o.dataAsOf)}">${escapeHtml(o.dataAsOf.replace('T', ' ').replace(/\.\d+Z$/, ' UTC').replace(/Z$/, ' UTC'))}</time>` : 'no load recorded yet';
  const body = `<h1>${escapeHtml(d.title)}</h1>
<p class="description">${escapeHtml(d.description)}</p>
<noscript><p class="panel-error">The charts and figures of this page are drawn by JavaScript: open it in a web browser with JavaScript enabled.</p></noscript>
<p class="as-of">Data as of ${asOf}${isStatic && o.generatedAt ? ` · exported ${escapeHtml(o.generatedAt.replace('T', ' ').replace(/\.\d+Z$/, ' UTC'))}` : ''}</p>
${filterForm(o)}
${d.kpis.length ? `<section class="kpis" aria-label="Key figures">\n${d.kpis.map((k) => kpiTile(d, k)).join('\n')}\n</section>` : ''}
<div class="panels">
${d.panels.map((p) => panelSection(o, p)).join('\n')}
</div>
<script type="application/json" id="dashboard-config">${jsonForScript(clientConfig(o))}</script>
${scripts}`;
  return layout({
    title: `${d.title} — crm-analytics`,
    head: css,
    body,
    nav: isStatic ? [] : o.dashboards.map((x) => [`/dashboards/${x.name}`, x.title] as [string, string]).concat([['/status', 'Status']]),
    current: `/dashboards/${d.name}`,
    standalone: isStatic,
  });
}

/** `GET /`: the list of dashboards. */
export function dashboardListBody(dashboards: Dashboard[]): string {
  const items = dashboards
    .map(
      (d) =>
        `<li><a href="/dashboards/${escapeHtml(d.name)}">${escapeHtml(d.title)}</a><p class="description">${escapeHtml(d.description)}</p><p class="meta">${d.kpis.length} key figures · ${d.panels.length} panels</p></li>`,
    )
    .join('\n');
  return `<h1>Dashboards</h1>\n<ul class="dashboard-list">\n${items}\n</ul>`;
}
