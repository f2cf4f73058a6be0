import { Option } from 'commander';
import { addUser, cliActor, listUsers, permissionsOf, roles, updateUser, type Role } from '../../server/auth/index.ts';
import { formatRows, type OutputFormat } from '../format.ts';
import type { RegisterCommands } from './index.ts';

const formatOption = () => new Option('--format <format>', 'table | csv | json').choices(['table', 'csv', 'json']).default('table');
const roleOption = (required: boolean) => {
  const o = new Option('--role <role>', `one of ${roles.join(', ')}`).choices([...roles]);
  return required ? o.makeOptionMandatory() : o;
};
/** '' or 'all' clears a row rule. */
const ruleValue = (v: string) => (v === '' || v === 'all' ? null : v);

/** `crm user add|list|set`: users, their roles and row rules (audited). */
export const register: RegisterCommands = (program, ctx) => {
  const user = program.command('user').description('users of the API and dashboards: roles (admin, ops, marketing, exec, analyst) and row rules');

  user
    .command('add')
    .description('add a user; then give them a token with crm token create --user NAME')
    .argument('<name>', 'user name (letters, digits, . _ @ -)')
    .addOption(roleOption(true))
    .option('--region <region>', "row rule: only customers of this region (e.g. 'EMEA')")
    .option('--rep <employee_id>', 'row rule: only customers owned by this employee id')
    .addHelpText('after', '\nExamples:\n  crm user add maria --role exec\n  crm user add sam --role analyst --region EMEA')
    .action(async (name: string, opts: { role: Role; region?: string; rep?: string }) => {
      const u = await addUser(await ctx.warehouse(), { name, role: opts.role, region: opts.region ?? null, rep: opts.rep ?? null }, cliActor());
      const rule = [u.row_region && `region = ${u.row_region}`, u.row_rep && `owner = ${u.row_rep}`].filter(Boolean).join(' and ');
      ctx.out(`added user ${u.name} (${u.role}${rule ? `, only customers with ${rule}` : ''}); next: crm token create --user ${u.name}`);
    });

  user
    .command('list')
    .description('users with role, row rule and number of live tokens')
    .addOption(formatOption())
    .action(async (opts: { format: OutputFormat }) => {
      const rows = (await listUsers(await ctx.warehouse())).map((u) => ({
        name: u.name,
        role: u.role,
        region: u.row_region,
        rep: u.row_rep,
        tokens: u.active_tokens,
        disabled: u.disabled_at,
        created: u.created_at,
        by: u.created_by,
        ...(opts.format === 'json' ? { permissions: permissionsOf(u.role).join(' ') } : {}),
      }));
      ctx.out(rows.length || opts.format !== 'table' ? formatRows(rows, opts.format) : 'no users yet: crm user add NAME --role ROLE');
    });

  user
    .command('set')
    .description("change a user's role or row rule, or disable / enable them (audited)")
    .argument('<name>')
    .addOption(roleOption(false))
    .option('--region <region>', "row rule by region ('all' removes it)")
    .option('--rep <employee_id>', "row rule by owner ('all' removes it)")
    .option('--disable', 'disable the user (tokens and sessions stop working)')
    .option('--enable', 'enable a disabled user')
    .addHelpText('after', '\nExamples:\n  crm user set maria --role analyst\n  crm user set sam --region all')
    .action(async (name: string, opts: { role?: Role; region?: string; rep?: string; disable?: boolean; enable?: boolean }) => {
      const u = await updateUser(
        await ctx.warehouse(),
        name,
        {
          role: opts.role,
          region: opts.region === undefined ? undefined : ruleValue(opts.region),
          rep: opts.rep === undefined ? undefined : ruleValue(opts.rep),
          disabled: opts.disable ? true : opts.enable ? false : undefined,
        },
        cliActor(),
      );
      ctx.out(`user ${u.name}: role ${u.role}, region ${u.row_region ?? 'all'}, rep ${u.row_rep ?? 'all'}${u.disabled_at ? ', disabled' : ''}`);
    });
};
