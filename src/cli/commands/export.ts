import { InvalidArgumentError } from 'commander';
import { AppError } from '../../errors.ts';
import { campaignLift, type CampaignLift } from '../../models/segments/index.ts';
import { createExport, exclusionReasons, getExport, listExports, type ExportManifest } from '../../publish/exports/index.ts';
import { formatRows, type OutputFormat } from '../format.ts';
import { intOption } from '../main.ts';
import type { RegisterCommands } from './index.ts';

const formatOption = (v: string): OutputFormat => {
  if (!['table', 'csv', 'json'].includes(v)) throw new InvalidArgumentError('expected table, csv or json');
  return v as OutputFormat;
};
const shareOption = (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0 || n > 0.9) throw new InvalidArgumentError('expected a share from 0 to 0.9, e.g. 0.1');
  return n;
};
const confidenceOption = (v: string) => {
  const n = Number(v);
  if (!(n > 0 && n < 1)) throw new InvalidArgumentError('expected a level between 0 and 1, e.g. 0.95');
  return n;
};

const n = (x: number | null | undefined) => (x === null || x === undefined ? '' : x.toLocaleString('en'));

/** The export summary: where the file went and how the segment narrowed down to it. */
export function describeExport(m: ExportManifest): string {
  const c = m.counts;
  const steps: { step: string; customers: number | null }[] = [
    { step: `members of ${m.plan ? `plan ${m.plan}${m.segment ? ` / ${m.segment}` : ''}` : m.segment}`, customers: c.segmentMembers },
    ...exclusionReasons.map((r) => ({ step: `  excluded: ${r.replaceAll('_', ' ')}`, customers: c.excluded[r] })),
    { step: 'eligible (contactable, one per address)', customers: c.eligible },
    { step: `  holdout (${(m.holdoutShare * 100).toFixed(m.holdoutShare * 100 % 1 ? 1 : 0)}%)`, customers: c.holdout },
    { step: '  targeted', customers: c.targeted },
  ];
  if (m.diffSince !== null) steps.push({ step: `added since export ${m.diffSince}`, customers: c.added }, { step: `removed since export ${m.diffSince}`, customers: c.removed });
  steps.push({ step: 'rows written', customers: c.rowsWritten });
  return [
    `export ${m.exportId}: ${m.path}`,
    `${m.format}, ${m.channel}, as of ${m.asOf}${m.campaign ? `, campaign ${m.campaign}` : ''}, ${n(m.fileBytes)} bytes, sha256 ${m.fileSha256}`,
    formatRows(steps, 'table'),
  ].join('\n');
}

/** Lift as a small table of the two groups and the differences. */
export function describeLift(l: CampaignLift): string {
  const pct = (x: number | null | undefined, d = 2) => (x === null || x === undefined ? '' : `${(x * 100).toFixed(d)}%`);
  const money = (x: number | null | undefined) => (x === null || x === undefined ? '' : x.toFixed(2));
  const groups = (['target', 'holdout'] as const).map((g) => ({
    group: g,
    customers: l[g].customers,
    converters: l[g].converters,
    conversion_rate: pct(l[g].conversionRate),
    revenue: money(l[g].revenue),
    revenue_per_person: money(l[g].revenuePerPerson),
    touched: l[g].touched,
  }));
  const lvl = `${Math.round(l.confidence * 100)}% CI`;
  const lines = [
    `campaign ${l.campaignId}: exports ${l.exports.join(', ')}; purchases from ${l.window.from.slice(0, 10)} to before ${l.window.to.slice(0, 10)} (${l.window.source})`,
    formatRows(groups, 'table'),
  ];
  if (l.conversion)
    lines.push(
      `conversion rate difference: ${pct(l.conversion.estimate)} points (${lvl} ${pct(l.conversion.ci[0])} … ${pct(l.conversion.ci[1])}), relative lift ${l.conversion.relativeLift === null ? 'n/a' : pct(l.conversion.relativeLift, 1)}, p = ${l.conversion.pValue.toPrecision(3)}`,
    );
  if (l.revenuePerPerson)
    lines.push(`revenue per person difference: ${money(l.revenuePerPerson.estimate)} (${lvl} ${money(l.revenuePerPerson.ci[0])} … ${money(l.revenuePerPerson.ci[1])}), p = ${l.revenuePerPerson.pValue.toPrecision(3)}`);
  if (l.incremental) lines.push(`incremental: ${l.incremental.conversions.toFixed(1)} conversions, ${money(l.incremental.revenue)} revenue over ${l.target.customers} targeted`);
  lines.push(...l.warnings.map((w) => `warning: ${w}`));
  return lines.join('\n');
}

interface ExportFlags {
  segment?: string;
  plan?: string;
  channel: string;
  format?: string;
  out: string;
  fields?: string;
  holdout: number;
  seed?: string;
  diffSince?: number;
  campaign?: string;
  force?: boolean;
  asOf?: string;
  allowEmpty?: boolean;
  requestedBy?: string;
  json?: boolean;
}

export const register: RegisterCommands = (program, ctx) => {
  const exp = program.command('export').description('campaign target lists: consent-safe, deduplicated, with holdout groups and an audit log');

  exp
    .command('run', { isDefault: true })
    .description('export a segment (or a campaign plan) for a channel')
    .option('--segment <name>', 'the segment to export (with --plan: only its share of the plan)')
    .option('--plan <name>', 'a campaign plan: each customer under their highest-priority segment')
    .requiredOption('--channel <channel>', 'email | sms | phone | mail')
    .requiredOption('--out <path>', 'the file to write (refused when it exists, unless --force)')
    .option('--format <format>', 'csv | ndjson | json | parquet | arrow (default: from the extension)')
    .option('--fields <list>', 'columns, comma-separated (default per channel; see `crm segment fields`)')
    .option('--holdout <share>', 'keep this share out as a control group, e.g. 0.1', shareOption, 0)
    .option('--seed <seed>', 'holdout seed (default none: the holdout depends on campaign and customer only)')
    .option('--diff-since <export-id>', 'write only who was added or removed since that export', intOption(1))
    .option('--campaign <id>', 'the campaign the list is for (keys the holdout; lift reads it back)')
    .option('--as-of <date>', 'evaluate the segment as of this day (default today)')
    .option('--force', 'replace an existing file')
    .option('--allow-empty', 'write a file even when nobody is eligible')
    .option('--requested-by <name>', 'who asked for it (default $CRM_USER or the OS user)')
    .option('--json', 'print the manifest as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  crm export --segment win-back --channel email --out data/exports/win-back.csv --holdout 0.1 --campaign C-2026-11\n  crm export --plan reactivation --channel sms --out data/exports/react.parquet\n  crm export --segment win-back --channel email --out data/exports/win-back-delta.csv --diff-since 12 --campaign C-2026-11 --holdout 0.1',
    )
    .action(async (o: ExportFlags) => {
      const m = await createExport(await ctx.warehouse(), {
        segment: o.segment,
        plan: o.plan,
        channel: o.channel as 'email',
        format: o.format as 'csv' | undefined,
        out: o.out,
        fields: o.fields?.split(',').map((s) => s.trim()).filter(Boolean),
        holdout: o.holdout,
        seed: o.seed,
        diffSince: o.diffSince,
        campaign: o.campaign,
        force: !!o.force,
        asOf: o.asOf,
        allowEmpty: !!o.allowEmpty,
        requestedBy: o.requestedBy,
      });
      ctx.out(o.json ? JSON.stringify(m, null, 2) : describeExport(m));
    });

  exp
    .command('list')
    .description('recent exports (the audit log)')
    .option('--segment <name>', 'only this segment')
    .option('--campaign <id>', 'only this campaign')
    .option('--limit <n>', 'rows', intOption(1), 50)
    .option('--format <format>', 'table | csv | json', formatOption, 'table')
    .action(async (o: { segment?: string; campaign?: string; limit: number; format: OutputFormat }) => {
      const rows = await listExports(await ctx.warehouse(), o);
      if (o.format === 'json') return ctx.out(JSON.stringify(rows, null, 2));
      ctx.out(
        formatRows(
          rows.map((r) => ({
            export_id: r.export_id,
            created_at: r.created_at,
            requested_by: r.requested_by,
            segment: r.plan_name ? `${r.plan_name}${r.segment_name ? `/${r.segment_name}` : ''}` : r.segment_name,
            campaign: r.campaign_id,
            channel: r.channel,
            format: r.format,
            eligible: r.eligible,
            holdout: r.holdout,
            rows: r.rows_written,
            diff_since: r.diff_since,
            path: r.path,
          })),
          o.format,
        ),
      );
    });

  exp
    .command('show <export-id>')
    .description('one export’s manifest: definition and hash, model runs, counts, checksum')
    .action(async (id: string) => {
      const exportId = Number(id);
      if (!Number.isInteger(exportId) || exportId < 1) throw new AppError('VALIDATION', `export id "${id}" is not a positive whole number`);
      ctx.out(JSON.stringify(await getExport(await ctx.warehouse(), exportId), null, 2));
    });

  // `crm report campaign-lift` belongs to the report command (issue 4); the same function is here.
  program
    .command('campaign')
    .description('campaign measurement')
    .command('lift')
    .description('targeted group vs holdout: conversion rate and revenue per person, with confidence intervals')
    .requiredOption('--campaign <id>', 'the campaign (exported with --campaign ID --holdout SHARE)')
    .option('--window-days <n>', 'attribution window from the campaign start (default: the campaign dates, else 30)', intOption(1, 3650))
    .option('--confidence <level>', 'interval level', confidenceOption, 0.95)
    .option('--json', 'print the result as JSON')
    .action(async (o: { campaign: string; windowDays?: number; confidence: number; json?: boolean }) => {
      const l = await campaignLift(await ctx.warehouse(), o.campaign, { windowDays: o.windowDays, confidence: o.confidence });
      ctx.out(o.json ? JSON.stringify(l, null, 2) : describeLift(l));
    });
};
