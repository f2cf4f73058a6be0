/**
 * /users, /tokens, /audit: the same operations as `crm user`, `crm token`, `crm audit`, for when the
 * server holds the warehouse (DuckDB lets one process open it). Admin only.
 */
import { z } from 'zod';
import { actorOf } from '../auth/access.ts';
import { auditRows } from '../auth/audit.ts';
import { roles } from '../auth/roles.ts';
import { addUser, createToken, listTokens, listUsers, revokeToken, updateUser } from '../auth/store.ts';
import { route, table } from './route.ts';
import { idParam, intQuery, isoDate, text } from './schemas.ts';

const userName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/, 'a user name is 1–64 letters, digits, . _ @ -');
const rule = z.string().min(1).max(100).nullable().optional();

export const adminRoutes = [
  route({
    method: 'get',
    path: '/users',
    permission: 'users:manage',
    tag: 'access',
    summary: 'Users, roles, row rules and their number of live tokens',
    tabular: true,
    async handler({ wh }) {
      return table(await listUsers(wh));
    },
  }),
  route({
    method: 'post',
    path: '/users',
    permission: 'users:manage',
    tag: 'access',
    summary: 'Add a user with a role and an optional row rule (region, rep)',
    body: z.object({ name: userName, role: z.enum(roles), region: rule, rep: rule }).strict(),
    status: 201,
    writes: true,
    async handler({ wh, body, req }) {
      return { user: await addUser(wh, body, actorOf(req)) };
    },
  }),
  route({
    method: 'patch',
    path: '/users/:name',
    permission: 'users:manage',
    tag: 'access',
    summary: "Change a user's role, row rule, or disable them (audited with before and after)",
    params: z.object({ name: userName }).strict(),
    body: z.object({ role: z.enum(roles).optional(), region: rule, rep: rule, disabled: z.boolean().optional() }).strict(),
    writes: true,
    async handler({ wh, body, params, req }) {
      return { user: await updateUser(wh, params.name, body, actorOf(req)) };
    },
  }),
  route({
    method: 'get',
    path: '/tokens',
    permission: 'users:manage',
    tag: 'access',
    summary: 'API tokens (never the secrets): live ones, or all with ?all=true',
    query: z.object({ user: userName.optional(), all: z.enum(['true', 'false']).optional() }).strict(),
    tabular: true,
    async handler({ wh, query }) {
      return table(await listTokens(wh, { user: query.user, all: query.all === 'true' }));
    },
  }),
  route({
    method: 'post',
    path: '/tokens',
    permission: 'users:manage',
    tag: 'access',
    summary: 'Create a token for a user; the secret is in this answer only',
    body: z.object({ user: userName, label: text(200).optional(), days: z.int().min(1).max(3650).optional() }).strict(),
    status: 201,
    writes: true,
    async handler({ wh, body, req }) {
      const { token, row } = await createToken(wh, body, actorOf(req));
      return { token, ...row };
    },
  }),
  route({
    method: 'delete',
    path: '/tokens/:id',
    permission: 'users:manage',
    tag: 'access',
    summary: 'Revoke a token (its dashboard sessions end too)',
    params: idParam('id'),
    writes: true,
    async handler({ wh, params, req }) {
      return { token: await revokeToken(wh, params.id as number, actorOf(req)) };
    },
  }),
  route({
    method: 'get',
    path: '/audit',
    permission: 'audit:read',
    tag: 'access',
    summary: 'The audit log, newest first',
    query: z
      .object({ actor: text(100).optional(), action: text(100).optional(), target: text(200).optional(), outcome: z.enum(['ok', 'denied', 'failed']).optional(), since: isoDate.optional(), until: isoDate.optional(), limit: intQuery(1, 10_000, 100) })
      .strict(),
    tabular: true,
    async handler({ wh, query }) {
      return table(await auditRows(wh, query));
    },
  }),
];
