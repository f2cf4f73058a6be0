import { compile, type TopLevelSpec } from 'vega-lite';
import type { Row } from '../../warehouse/index.ts';
import type { ChartDef, Granularity } from './schema.ts';

const positional = new Set(['x', 'y', 'x2', 'y2', 'theta', 'radius']);

/** The look shared by the page and the exports. */
export const chartConfig = {
  font: 'DejaVu Sans, system-ui, sans-serif',
  view: { stroke: null },
  axis: { labelFontSize: 11, titleFontSize: 12, gridColor: '#e4e7eb', domainColor: '#9aa5b1', tickColor: '#9aa5b1', labelLimit: 160 },
  legend: { labelFontSize: 11, titleFontSize: 12, orient: 'bottom', labelLimit: 200 },
  title: { fontSize: 14, anchor: 'start' },
  range: { category: ['#2f6fba', '#e07b39', '#3e9e6b', '#c94f4f', '#8a63b8', '#8c6d5a', '#d46fae', '#7f8c8d', '#b5a33a', '#3bb0c4'] },
  numberFormat: ',.4~g',
  bar: { color: '#2f6fba' },
  line: { color: '#2f6fba', strokeWidth: 2 },
  point: { color: '#2f6fba' },
  area: { color: '#2f6fba' },
} as const;

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Dates are instants at UTC midnight: show them in UTC whatever the viewer's time zone, so that
 * "2026-01-01" never reads as Dec 31 in New York. Temporal position scales become `utc`; temporal
 * tooltips and text get a UTC time unit. Applies to every unit spec inside layers and concats.
 */
function utcDates(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(utcDates);
  if (!isObj(node)) return node;
  const out: Json = {};
  for (const [k, v] of Object.entries(node)) out[k] = k === 'encoding' && isObj(v) ? utcEncoding(v) : utcDates(v);
  return out;
}

function utcEncoding(enc: Json): Json {
  const fix = (channel: string, def: unknown): unknown => {
    if (Array.isArray(def)) return def.map((d) => fix(channel, d));
    if (!isObj(def)) return def;
    const d: Json = { ...def };
    if (isObj(d.condition)) d.condition = fix(channel, d.condition);
    if (d.type !== 'temporal') return d;
    if (positional.has(channel)) {
      const scale = isObj(d.scale) ? d.scale : {};
      if (!('type' in scale)) d.scale = { ...scale, type: 'utc' };
    } else if (!('timeUnit' in d)) {
      d.timeUnit = 'utcyearmonthdate';
    }
    return d;
  };
  return Object.fromEntries(Object.entries(enc).map(([ch, def]) => [ch, fix(ch, def)]));
}

/** Tick interval and label format of a period axis per granularity (the page's client script mirrors this table). */
export const periodTicks: Record<Granularity, { tickCount: { interval: string; step: number }; format: string }> = {
  day: { tickCount: { interval: 'day', step: 1 }, format: '%b %d' },
  week: { tickCount: { interval: 'week', step: 1 }, format: '%b %d' },
  month: { tickCount: { interval: 'month', step: 1 }, format: '%b %Y' },
  quarter: { tickCount: { interval: 'month', step: 3 }, format: 'Q%q %Y' },
};

/**
 * Period bars (`x: period`, temporal) get one tick per period, labelled for the granularity — left alone,
 * Vega ticks monthly bars weekly ("Nov 02, Nov 30"). Only up to 16 periods: beyond that Vega's own ticks
 * read better. Axes that set their own tickCount or format are kept.
 */
export function periodAxes(spec: unknown, granularity: Granularity, periods: number): unknown {
  if (periods > 16) return spec;
  const t = periodTicks[granularity];
  const walk = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(walk);
    if (!isObj(node)) return node;
    const out: Json = {};
    for (const [k, v] of Object.entries(node)) out[k] = walk(v);
    const enc = out.encoding;
    if (isObj(enc) && isObj(enc.x) && enc.x.field === 'period' && enc.x.type === 'temporal') {
      const axis = isObj(enc.x.axis) ? enc.x.axis : {};
      if (enc.x.axis !== null && !('tickCount' in axis) && !('format' in axis) && !('labelExpr' in axis)) {
        // labelExpr, not format: Vega-Lite formats a binned field's axis as numbers whatever its type.
        out.encoding = { ...enc, x: { ...enc.x, axis: { ...axis, tickCount: t.tickCount, labelExpr: `utcFormat(datum.value, '${t.format}')` } } };
      }
    }
    return out;
  };
  return walk(spec);
}

/** Splits text into lines of at most `max` characters at spaces (a longer word gets a line of its own). */
export function wrapText(text: string, max: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > max) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

export interface SpecOptions {
  /** Pixel width, or 'container' to follow the page (default). */
  width?: number | 'container';
  /** Put the panel title inside the chart (exports, where there is no page heading). */
  withTitle?: boolean;
  /** The granularity the rows were bucketed by, when the panel reads it: period axes tick once per period. */
  granularity?: Granularity;
}

/**
 * The full Vega-Lite spec of a chart panel: the definition's spec plus data, size, the screen-reader
 * description, the shared config and UTC dates.
 */
export function panelSpec(panel: ChartDef, rows: Row[] | null, options: SpecOptions = {}): TopLevelSpec {
  let spec = utcDates(structuredClone(panel.spec)) as Json;
  if (options.granularity && rows) spec = periodAxes(spec, options.granularity, new Set(rows.map((r) => r.period)).size) as Json;
  const composite = ['facet', 'hconcat', 'vconcat', 'concat', 'repeat'].some((k) => k in spec);
  const sized: Json = composite ? {} : { width: spec.width ?? options.width ?? 'container', height: spec.height ?? panel.height };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    description: `${panel.title}. ${panel.description}`,
    // An unwrapped subtitle wider than the chart squeezes a `fit` plot to nothing: wrap it to the width.
    ...(options.withTitle ? { title: { text: panel.title, frame: 'bounds', subtitle: wrapText(panel.description, Math.floor((typeof options.width === 'number' ? options.width : 640) / 7.5)) } } : {}),
    ...(rows ? { data: { values: rows } } : { data: { name: 'table' } }),
    autosize: composite ? { type: 'pad' } : { type: 'fit', contains: 'padding' },
    ...spec,
    ...sized,
    config: { ...chartConfig, ...(isObj(spec.config) ? spec.config : {}) },
  } as unknown as TopLevelSpec;
}

/** Compiles to Vega, collecting Vega-Lite's warnings instead of printing them. */
export function compileSpec(spec: TopLevelSpec): { vega: ReturnType<typeof compile>['spec']; warnings: string[] } {
  const warnings: string[] = [];
  const sink = (...args: unknown[]) => warnings.push(args.map(String).join(' '));
  const logger = {
    level: () => logger,
    error: (...a: unknown[]) => {
      throw new Error(a.map(String).join(' '));
    },
    warn: (...a: unknown[]) => (sink(...a), logger),
    info: () => logger,
    debug: () => logger,
  };
  const { spec: vega } = compile(spec, { logger: logger as never });
  return { vega, warnings };
}

/**
 * Fields a spec reads from its data: `field`s in encodings (and their sort), minus the fields
 * its transforms create. Used by the dashboard test to check each field exists in the query output.
 */
export function encodedFields(spec: unknown): { read: Set<string>; created: Set<string> } {
  const read = new Set<string>();
  const created = new Set<string>();
  const addAs = (as: unknown) => {
    if (typeof as === 'string') created.add(as);
    else if (Array.isArray(as)) as.forEach(addAs);
  };
  const walk = (node: unknown, inEncoding: boolean) => {
    if (Array.isArray(node)) return node.forEach((n) => walk(n, inEncoding));
    if (!isObj(node)) return;
    for (const [k, v] of Object.entries(node)) {
      if (k === 'transform' && Array.isArray(v)) {
        for (const t of v) {
          if (!isObj(t)) continue;
          addAs(t.as);
          for (const list of ['aggregate', 'window', 'joinaggregate']) {
            if (Array.isArray(t[list])) for (const a of t[list] as Json[]) addAs(a.as);
          }
          if (Array.isArray(t.fold) && !t.as) ['key', 'value'].forEach((x) => created.add(x));
          if (t.pivot && typeof t.pivot === 'string') created.add('*pivot*');
          for (const f of ['groupby', 'fold']) if (Array.isArray(t[f])) (t[f] as unknown[]).forEach((x) => typeof x === 'string' && read.add(x));
        }
        continue;
      }
      if (k === 'encoding') walk(v, true);
      else if (inEncoding && k === 'field' && typeof v === 'string') read.add(v.split('.')[0].replace(/\\/g, ''));
      else walk(v, inEncoding);
    }
  };
  walk(spec, false);
  return { read, created };
}
