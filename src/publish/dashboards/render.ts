import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import type { Row } from '../../warehouse/index.ts';
import type { PanelResult } from './data.ts';
import { escapeHtml } from './html.ts';
import type { ChartDef, Dashboard, Granularity, NumberFormat, TableDef } from './schema.ts';
import { compileSpec, panelSpec } from './spec.ts';

const FONT = 'DejaVu Sans, sans-serif';

/** A number as the KPI tiles and tables show it. */
export function formatNumber(v: unknown, format: NumberFormat | 'text' | 'datetime', currency?: string, compact = false): string {
  if (v === null || v === undefined) return '–';
  if (format === 'datetime') return formatInstant(String(v));
  if (format === 'text' || typeof v !== 'number') return String(v);
  if (!Number.isFinite(v)) return '–';
  const big = compact && Math.abs(v) >= 100_000;
  const nf = (o: Intl.NumberFormatOptions) => new Intl.NumberFormat('en-US', o).format(v);
  switch (format) {
    case 'percent':
      return nf({ style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1 });
    case 'currency':
      return nf({ ...(currency ? { style: 'currency', currency } : {}), ...(big ? { notation: 'compact', maximumFractionDigits: 2 } : { minimumFractionDigits: 2, maximumFractionDigits: 2 }) });
    case 'integer':
      return nf(big ? { notation: 'compact', maximumFractionDigits: 2 } : { maximumFractionDigits: 0 });
    case 'decimal':
      return nf({ maximumFractionDigits: 2 });
    case 'days':
      return `${nf({ maximumFractionDigits: 1 })} d`;
    case 'hours':
      return `${nf({ maximumFractionDigits: 1 })} h`;
  }
}

/** An ISO instant as "2026-06-30 03:00 UTC". */
export function formatInstant(iso: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(iso);
  return m ? `${m[1]} ${m[2]} UTC` : iso;
}

/** "▲ +12.3 % vs previous period", percentage points for percentages. */
export function changeText(row: Row, format: NumberFormat): string {
  if (row.previous_value === null || row.previous_value === undefined) return 'no previous period to compare';
  const change = Number(row.change);
  const arrow = change > 0 ? '▲' : change < 0 ? '▼' : '■';
  const sign = change >= 0 ? '+' : '−';
  if (format === 'percent') return `${arrow} ${sign}${Math.abs(change * 100).toFixed(1)} pp vs previous period`;
  if (row.change_pct !== null && row.change_pct !== undefined) return `${arrow} ${sign}${Math.abs(Number(row.change_pct) * 100).toFixed(1)} % vs previous period`;
  return `${arrow} ${sign}${formatNumber(Math.abs(change), format, undefined, true)} vs previous period`;
}

/** A chart panel as SVG via vega's headless renderer (no canvas, no browser). */
export async function chartSvg(panel: ChartDef, rows: Row[], width: number, granularity?: Granularity): Promise<string> {
  const { vega: spec } = compileSpec(panelSpec(panel, rows, { width, withTitle: true, granularity }));
  const view = new vega.View(vega.parse(spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

function svgDoc(width: number, height: number, title: string, desc: string, body: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="t d" font-family="${FONT}">
<title id="t">${escapeHtml(title)}</title><desc id="d">${escapeHtml(desc)}</desc>
<rect width="100%" height="100%" fill="#ffffff"/>
${body}
</svg>`;
}

/** A panel that has no data: its title and the empty-state message. */
export function emptySvg(title: string, message: string, width: number): string {
  return svgDoc(width, 120, title, message, `<text x="12" y="28" font-size="15" font-weight="bold" fill="#1f2933">${escapeHtml(title)}</text>
<text x="12" y="70" font-size="13" font-style="italic" fill="#52606d">${escapeHtml(message)}</text>`);
}

/** The KPI tiles in a row (wrapping), as one SVG. */
export function kpiSvg(dashboard: Dashboard, results: Map<string, PanelResult>, width: number): string {
  const tileW = 230;
  const tileH = 104;
  const gap = 12;
  const perRow = Math.max(1, Math.floor((width - 24 + gap) / (tileW + gap)));
  const tiles = dashboard.kpis.map((k, i) => {
    const r = results.get(k.id)!;
    const x = 12 + (i % perRow) * (tileW + gap);
    const y = 44 + Math.floor(i / perRow) * (tileH + gap);
    const row = r.empty ? null : r.rows[0];
    const value = row ? formatNumber(row.value, k.format, dashboard.currency, true) : '–';
    const change = row ? changeText(row, k.format) : (r.empty?.message ?? '');
    const good = row && row.change !== null ? (Number(row.change) > 0) === (k.better === 'up') : null;
    const color = !row || row.change === null || Number(row.change) === 0 ? '#52606d' : good ? '#1e7b4a' : '#b42318';
    return `<g transform="translate(${x},${y})"><rect width="${tileW}" height="${tileH}" rx="8" fill="#ffffff" stroke="#d9e2ec"/>
<text x="12" y="22" font-size="12" font-weight="bold" fill="#52606d">${escapeHtml(k.title)}</text>
<text x="12" y="56" font-size="26" font-weight="bold" fill="#1f2933">${escapeHtml(value)}</text>
<text x="12" y="80" font-size="11" fill="${color}">${escapeHtml(change.length > 40 ? `${change.slice(0, 39)}…` : change)}</text>
${row && row.previous_value !== null ? `<text x="12" y="96" font-size="10" fill="#52606d">Previous: ${escapeHtml(formatNumber(row.previous_value, k.format, dashboard.currency))}</text>` : ''}</g>`;
  });
  const rowsN = Math.ceil(dashboard.kpis.length / perRow);
  const height = 44 + rowsN * (tileH + gap) + 8;
  const desc = dashboard.kpis
    .map((k) => {
      const r = results.get(k.id)!;
      return r.empty ? `${k.title}: ${r.empty.message}` : `${k.title}: ${formatNumber(r.rows[0].value, k.format, dashboard.currency)} (${changeText(r.rows[0], k.format)})`;
    })
    .join('; ');
  return svgDoc(width, height, `${dashboard.title}: key figures`, desc, `<text x="12" y="28" font-size="15" font-weight="bold" fill="#1f2933">${escapeHtml(dashboard.title)}: key figures</text>\n${tiles.join('\n')}`);
}

const isText = (f: string) => f === 'text' || f === 'datetime';

/** A table panel as an SVG table (its first `maxRows` rows). */
export function tableSvg(panel: TableDef, rows: Row[], width: number, currency?: string): string {
  const shown = rows.slice(0, panel.maxRows);
  const cells = shown.map((r) => panel.columns.map((c) => (r[c.field] === null || r[c.field] === undefined ? '' : formatNumber(r[c.field], c.format, currency))));
  // Column widths follow their content (capped), so a long error message gets the room.
  const wants = panel.columns.map((c, i) => Math.min(80, Math.max(c.title.length, 4, ...cells.map((row) => row[i].length))));
  const total = wants.reduce((a, b) => a + b, 0);
  const widths = wants.map((w) => ((width - 24) * w) / total);
  const lefts = widths.map((_, i) => 12 + widths.slice(0, i).reduce((a, b) => a + b, 0));
  const clip = (s: string, i: number) => {
    const max = Math.max(4, Math.floor(widths[i] / 6.4));
    return s.length > max ? `${s.slice(0, max - 1)}…` : s;
  };
  const lineH = 20;
  const cell = (text: string, i: number, y: number, attrs: string) => {
    const c = panel.columns[i];
    const x = isText(c.format) ? lefts[i] : lefts[i] + widths[i] - 8;
    return `<text x="${x.toFixed(1)}" y="${y}" font-size="11" ${attrs} text-anchor="${isText(c.format) ? 'start' : 'end'}">${escapeHtml(clip(text, i))}</text>`;
  };
  const head = panel.columns.map((c, i) => cell(c.title, i, 56, 'font-weight="bold" fill="#52606d"')).join('');
  const body = cells.map((row, j) => row.map((text, i) => cell(text, i, 56 + (j + 1) * lineH, 'fill="#1f2933"')).join('')).join('\n');
  const more = rows.length > shown.length ? `<text x="12" y="${56 + (shown.length + 1) * lineH + 4}" font-size="11" font-style="italic" fill="#52606d">Showing ${shown.length} of ${rows.length} rows; the CSV has them all.</text>` : '';
  const height = 56 + (shown.length + (more ? 2 : 1)) * lineH + 8;
  return svgDoc(width, height, panel.title, panel.description, `<text x="12" y="28" font-size="15" font-weight="bold" fill="#1f2933">${escapeHtml(panel.title)}</text>
<line x1="12" x2="${width - 12}" y1="62" y2="62" stroke="#d9e2ec"/>
${head}
${body}
${more}`);
}

/** SVG → PNG at 2× with @resvg/resvg-js, system fonts (DejaVu Sans by default), white background. */
export function svgToPng(svg: string): Buffer {
  return new Resvg(svg, { fitTo: { mode: 'zoom', value: 2 }, background: 'white', font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' } }).render().asPng();
}
