import { z } from 'zod';
import { campaignLift, type Difference, type GroupOutcome } from '../../segments/lift.ts';
import type { ReportColumn, ReportDefinition, ReportRow } from '../types.ts';

const params = z
  .object({
    campaign: z.string().min(1, 'name the campaign: campaign=ID'),
    windowDays: z.union([z.int(), z.string().regex(/^\d+$/, 'expected a whole number of days').transform(Number)]).pipe(z.int().positive()).optional(),
    confidence: z.union([z.number(), z.string().regex(/^0?\.\d+$/, 'expected a level such as 0.95').transform(Number)]).pipe(z.number().gt(0).lt(1)).default(0.95),
  })
  .strict();
type Params = z.output<typeof params>;

const columns: ReportColumn[] = [
  { name: 'row_type', label: 'Row', type: 'string', role: 'info' },
  { name: 'group', label: 'Group', type: 'string', role: 'dimension' },
  { name: 'customers', label: 'Customers', type: 'number', role: 'measure', format: 'count' },
  { name: 'converters', label: 'Converters', type: 'number', role: 'measure', format: 'count', description: 'customers with an order in the window' },
  { name: 'conversion_rate', label: 'Conversion rate', type: 'number', role: 'measure', format: 'percent' },
  { name: 'conversion_ci_low', label: 'Conversion difference, CI low', type: 'number', role: 'measure', format: 'percent' },
  { name: 'conversion_ci_high', label: 'Conversion difference, CI high', type: 'number', role: 'measure', format: 'percent' },
  { name: 'conversion_p_value', label: 'Conversion difference, p-value', type: 'number', role: 'measure', format: 'number' },
  { name: 'revenue', label: 'Revenue', type: 'number', role: 'measure', format: 'currency' },
  { name: 'revenue_per_person', label: 'Revenue per person', type: 'number', role: 'measure', format: 'currency' },
  { name: 'revenue_ci_low', label: 'Revenue per person difference, CI low', type: 'number', role: 'measure', format: 'currency' },
  { name: 'revenue_ci_high', label: 'Revenue per person difference, CI high', type: 'number', role: 'measure', format: 'currency' },
  { name: 'revenue_p_value', label: 'Revenue per person difference, p-value', type: 'number', role: 'measure', format: 'number' },
  { name: 'touched', label: 'Touched', type: 'number', role: 'measure', format: 'count', description: 'customers with a campaign touch recorded' },
];

const group = (name: string, g: GroupOutcome): ReportRow => ({
  row_type: 'group',
  group: name,
  customers: g.customers,
  converters: g.converters,
  conversion_rate: g.conversionRate,
  revenue: g.revenue,
  revenue_per_person: g.revenuePerPerson,
  touched: g.touched,
});

const ci = (d: Difference | null, prefix: string): ReportRow =>
  d ? { [`${prefix}_ci_low`]: d.ci[0], [`${prefix}_ci_high`]: d.ci[1], [`${prefix}_p_value`]: d.pValue } : {};

/**
 * `campaign-lift`: the targeted group against its holdout (src/models/segments/lift.ts) as a report —
 * one row per group and a difference row with its confidence intervals.
 */
export const campaignLiftReport: ReportDefinition<Params> = {
  info: {
    name: 'campaign-lift',
    title: 'Campaign lift vs holdout',
    description: 'Targeted group vs its holdout: conversion rate and revenue per person, the difference with a confidence interval and p-value',
    groupBys: [],
    defaultGroupBy: [],
    filters: [],
    measures: columns.filter((c) => c.role === 'measure').map((c) => c.name),
    extraParams: ['campaign', 'windowDays', 'confidence'],
    timeBuckets: false,
  },
  params,
  async run(wh, p) {
    const lift = await campaignLift(wh, p.campaign, { windowDays: p.windowDays, confidence: p.confidence });
    const rows: ReportRow[] = [group('target', lift.target), group('holdout', lift.holdout)];
    if (lift.conversion || lift.revenuePerPerson) {
      rows.push({
        row_type: 'difference',
        group: 'target − holdout',
        conversion_rate: lift.conversion?.estimate ?? null,
        ...ci(lift.conversion, 'conversion'),
        revenue_per_person: lift.revenuePerPerson?.estimate ?? null,
        ...ci(lift.revenuePerPerson, 'revenue'),
      });
    }
    const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
    return {
      columns,
      rows: rows.map((r) => Object.fromEntries(columns.map((c) => [c.name, r[c.name] ?? null]))),
      params: { window: lift.window, exports: lift.exports },
      notes: [
        `Window ${lift.window.from} to ${lift.window.to} (${lift.window.source}); exports ${lift.exports.join(', ')}; intervals at ${pct(lift.confidence)}.`,
        'Intention to treat: everyone exported as a target counts, whether or not the message reached them.',
        ...(lift.conversion?.relativeLift != null ? [`Relative lift in conversion: ${pct(lift.conversion.relativeLift)}.`] : []),
        ...(lift.incremental ? [`Incremental: ${lift.incremental.conversions.toFixed(1)} conversions, ${lift.incremental.revenue.toFixed(2)} revenue over the targeted group.`] : []),
        ...lift.warnings,
      ],
    };
  },
};
