import { Option } from 'commander';
import { AppError } from '../../errors.ts';
import { auditRows } from '../../server/auth/index.ts';
import { formatRows, type OutputFormat } from '../format.ts';
import { intOption } from '../main.ts';
import type { RegisterCommands } from './index.ts';

const date = (v: string) => {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(v) || Number.isNaN(Date.parse(`${v}T00:00:00Z`))) throw new AppError('VALIDATION', `expected a date YYYY-MM-DD, got "${v}"`);
  return v;
};

/** `crm audit`: the audit log — customer card reads, exports and downloads, token and role changes, sign-ins, denials. */
export const register: RegisterCommands = (program, ctx) => {
  program
    .command('audit')
    .description('the audit log, newest first: who did what, when, from where')
    .option('--actor <name>', 'only this user (CLI actions: cli:<os user>)')
    .option('--action <action>', 'an action or its prefix: customer.read, export, token, user, login, access.denied …')
    .option('--target <target>', 'only this target (customer id, export id, user name)')
    .addOption(new Option('--outcome <outcome>', 'ok | denied | failed').choices(['ok', 'denied', 'failed']))
    .option('--since <date>', 'from this day (UTC, inclusive)', date)
    .option('--until <date>', 'before this day (UTC)', date)
    .option('--limit <n>', 'most recent events', intOption(1, 1_000_000), 100)
    .addOption(new Option('--format <format>', 'table | csv | json').choices(['table', 'csv', 'json']).default('table'))
    .addHelpText('after', '\nExamples:\n  crm audit --action customer.read --since 2026-11-01\n  crm audit --actor maria --format json')
    .action(async (opts: { actor?: string; action?: string; target?: string; outcome?: string; since?: string; until?: string; limit: number; format: OutputFormat }) => {
      const rows = await auditRows(await ctx.warehouse(), opts);
      ctx.out(rows.length || opts.format !== 'table' ? formatRows(rows as never, opts.format) : 'no audit events match');
    });
};
