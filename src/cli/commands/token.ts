import { Option } from 'commander';
import { cliActor, createToken, listTokens, revokeToken } from '../../server/auth/index.ts';
import { formatRows, type OutputFormat } from '../format.ts';
import { intOption } from '../main.ts';
import type { RegisterCommands } from './index.ts';

/** `crm token create|list|revoke`: API tokens, stored hashed; the secret is printed once. */
export const register: RegisterCommands = (program, ctx) => {
  const token = program.command('token').description('API tokens (Authorization: Bearer …; also the dashboard login)');

  token
    .command('create')
    .description('create a token for a user and print it once (only its hash is stored)')
    .requiredOption('--user <name>', 'the user the token acts as')
    .option('--label <text>', 'what the token is for (e.g. "laptop", "airflow")')
    .option('--days <n>', 'expires after n days (default: never)', intOption(1, 3650))
    .addHelpText('after', '\nExamples:\n  crm token create --user maria --days 90 --label laptop')
    .action(async (opts: { user: string; label?: string; days?: number }) => {
      const { token: secret, row } = await createToken(await ctx.warehouse(), opts, cliActor());
      ctx.err(`token ${row.token_id} for ${row.user_name}${row.expires_at ? `, expires ${row.expires_at}` : ''}; it is shown this once:`);
      ctx.out(secret);
    });

  token
    .command('list')
    .description('tokens (never the secrets): live ones, or all with --all')
    .option('--user <name>', 'only this user')
    .option('--all', 'include revoked and expired tokens')
    .addOption(new Option('--format <format>', 'table | csv | json').choices(['table', 'csv', 'json']).default('table'))
    .action(async (opts: { user?: string; all?: boolean; format: OutputFormat }) => {
      const rows = await listTokens(await ctx.warehouse(), opts);
      ctx.out(rows.length || opts.format !== 'table' ? formatRows(rows as never, opts.format) : 'no tokens');
    });

  token
    .command('revoke')
    .description('revoke a token; its dashboard sessions end too')
    .argument('<id>', 'token id (crm token list)', intOption(1))
    .action(async (id: number) => {
      const t = await revokeToken(await ctx.warehouse(), id, cliActor());
      ctx.out(`revoked token ${t.token_id} of ${t.user_name} at ${t.revoked_at}`);
    });
};
