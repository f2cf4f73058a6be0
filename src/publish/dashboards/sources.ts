import { AppError } from '../../errors.ts';
import { getReport, runReport, type ReportColumn } from '../../models/reports/index.ts';
import { campaignLift } from '../../models/segments/lift.ts';
import { sqlFile, type Row, type Warehouse } from '../../warehouse/index.ts';
import type { PanelColumn } from './data.ts';
import type { FilterParamName } from './schema.ts';

export interface SourceResult {
  columns: PanelColumn[];
  rows: Row[];
  /** Why there are no rows, when the source can tell (e.g. "no campaign kept a holdout"). */
  emptyMessage?: string;
}

/** A computed source: rows that need more than one SQL statement (statistics in TypeScript). */
export interface ComputedSource {
  description: string;
  /** Filter parameters it reads. */
  filterParams: FilterParamName[];
  columns: PanelColumn[];
  run(wh: Warehouse, params: Record<string, string | null>): Promise<SourceResult>;
}

const col = (name: string, type: string): PanelColumn => ({ name, type });

/** Campaigns with a holdout: conversion and revenue per person, targeted vs held out, with the difference's interval. */
const campaignLiftSource: ComputedSource = {
  description: 'Per campaign that started in the range and was exported with a holdout: targeted vs holdout outcomes (intention to treat).',
  filterParams: ['from', 'to'],
  columns: [
    col('campaign_id', 'VARCHAR'),
    col('campaign', 'VARCHAR'),
    col('group', 'VARCHAR'),
    col('customers', 'BIGINT'),
    col('converters', 'BIGINT'),
    col('conversion_rate', 'DOUBLE'),
    col('revenue_per_person', 'DOUBLE'),
    col('conversion_lift', 'DOUBLE'),
    col('lift_ci_low', 'DOUBLE'),
    col('lift_ci_high', 'DOUBLE'),
    col('p_value', 'DOUBLE'),
    col('window_from', 'VARCHAR'),
    col('window_to', 'VARCHAR'),
  ],
  async run(wh, params) {
    const campaigns = await wh.all<{ campaign_id: string; name: string | null }>(sqlFile('dashboards/marketing/lift_campaigns'), { from: params.from, to: params.to });
    const rows: Row[] = [];
    for (const c of campaigns) {
      const lift = await campaignLift(wh, c.campaign_id);
      for (const [group, g] of [['targeted', lift.target], ['holdout', lift.holdout]] as const) {
        rows.push({
          campaign_id: c.campaign_id,
          campaign: c.name ?? c.campaign_id,
          group,
          customers: g.customers,
          converters: g.converters,
          conversion_rate: g.conversionRate,
          revenue_per_person: g.revenuePerPerson,
          conversion_lift: lift.conversion?.estimate ?? null,
          lift_ci_low: lift.conversion?.ci[0] ?? null,
          lift_ci_high: lift.conversion?.ci[1] ?? null,
          p_value: lift.conversion?.pValue ?? null,
          window_from: lift.window.from.slice(0, 10),
          window_to: lift.window.to.slice(0, 10),
        });
      }
    }
    return { columns: campaignLiftSource.columns, rows, emptyMessage: rows.length ? undefined : 'No campaign in this range was exported with a holdout group (crm export … --campaign ID --holdout 0.1).' };
  },
};

export const computedSources: Record<string, ComputedSource> = {
  campaign_lift: campaignLiftSource,
};

export function findSource(name: string): ComputedSource {
  const s = computedSources[name];
  if (!s) throw new AppError('VALIDATION', `unknown source "${name}"; sources: ${Object.keys(computedSources).join(', ')}`);
  return s;
}

const reportTypes: Record<ReportColumn['type'], string> = {
  string: 'VARCHAR',
  number: 'DOUBLE',
  date: 'DATE',
  timestamp: 'TIMESTAMP WITH TIME ZONE',
  boolean: 'BOOLEAN',
};

export interface ReportBinding {
  name: string;
  params: Record<string, unknown>;
  bind: Record<string, FilterParamName>;
  filters: Record<string, 'region' | 'rep' | 'segment'>;
}

/** Checks a report binding against the report registry: the report exists and its filter keys are valid. */
export function checkReport(b: ReportBinding): void {
  const def = getReport(b.name);
  for (const key of Object.keys(b.filters)) {
    if (!def.info.filters.includes(key)) throw new AppError('VALIDATION', `report ${b.name} has no filter "${key}"; its filters: ${def.info.filters.join(', ') || '(none)'}`);
  }
  const sample: Record<string, unknown> = { ...b.params };
  for (const [k, f] of Object.entries(b.bind)) sample[k] = f === 'granularity' ? 'month' : f.endsWith('from') ? '2026-01-01' : f.endsWith('to') ? '2026-01-31' : 'x';
  const parsed = def.params.safeParse(sample);
  if (!parsed.success) throw new AppError('VALIDATION', `report ${b.name}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
}

/**
 * Runs a report with the bound filter values. Its parameters were checked when the dashboard loaded, so a
 * VALIDATION, MODEL or NOT_FOUND error now is about the data (e.g. "too little revenue history"): an empty panel
 * that says why, not a failed page.
 */
export async function runReportSource(wh: Warehouse, b: ReportBinding, fp: Record<string, string | null>): Promise<SourceResult> {
  const params: Record<string, unknown> = { ...b.params };
  for (const [k, f] of Object.entries(b.bind)) if (fp[f] !== null) params[k] = fp[f];
  const filters: Record<string, string> = {};
  for (const [k, f] of Object.entries(b.filters)) {
    if (fp[f] === null) continue;
    if (f !== 'segment') {
      filters[k] = fp[f]!;
      continue;
    }
    // The dashboard offers segments by name ('rfm-champions', 'lapsed-90d'); reports group and filter by the
    // RFM label of the same (latest) segments run. A rule segment has no RFM label: say so instead of showing nothing.
    const [rfm] = await wh.all<{ label: string }>(sqlFile('dashboards/filters/rfm_label'), { segment: fp[f] });
    if (!rfm) return { columns: [], rows: [], emptyMessage: `This panel can be filtered by RFM segments only ("${fp[f]}" is a rule segment): choose an RFM segment or all segments.` };
    filters[k] = rfm.label;
  }
  if (Object.keys(filters).length) params.filters = { ...((b.params.filters as Record<string, unknown>) ?? {}), ...filters };
  try {
    const r = await runReport(wh, b.name, params);
    return { columns: r.columns.map((c) => col(c.name, reportTypes[c.type])), rows: r.rows };
  } catch (e) {
    if (e instanceof AppError && (e.code === 'MODEL' || e.code === 'NOT_FOUND' || e.code === 'VALIDATION')) return { columns: [], rows: [], emptyMessage: e.message };
    throw e;
  }
}
