/**
 * Roles and the permission matrix — the one place that says who may do what. Routes name a permission;
 * the middleware asks `can(role, permission)`. Tests walk every route against every role from here.
 */

export const roles = ['admin', 'ops', 'marketing', 'exec', 'analyst'] as const;
export type Role = (typeof roles)[number];

export const permissions = [
  'customers:read', // search, customer card
  'segments:read', // list, definitions, preview, members
  'segments:write', // create, update
  'exports:read', // list, manifests
  'exports:create',
  'exports:download',
  'reports:run',
  'models:read', // model runs, parameters, validation reports
  'models:run',
  'pipelines:read', // pipeline runs
  'jobs:read', // job runs
  'jobs:trigger',
  'dashboards:read', // pages, panel data (which dashboards: `dashboardAccess`)
  'status:read', // the warehouse status page
  'audit:read',
  'users:manage', // users, roles, tokens
  'pii:read', // unmasked e-mail, phone, name, address
] as const;
export type Permission = (typeof permissions)[number];

const R = true;
const _ = false;

/**
 * The matrix. Columns: admin, ops, marketing, exec, analyst.
 * - ops: pipelines, jobs, runs; the ops dashboard and status.
 * - marketing: segments, exports, the marketing dashboard; sees personal data (it builds target lists).
 * - exec: reports and dashboards, personal data masked.
 * - analyst: read-only everything, personal data masked.
 */
// prettier-ignore
export const matrix: Record<Permission, [admin: boolean, ops: boolean, marketing: boolean, exec: boolean, analyst: boolean]> = {
  'customers:read':   [R, _, R, _, R],
  'segments:read':    [R, _, R, _, R],
  'segments:write':   [R, _, R, _, _],
  'exports:read':     [R, _, R, _, R],
  'exports:create':   [R, _, R, _, _],
  'exports:download': [R, _, R, _, R],
  'reports:run':      [R, _, _, R, R],
  'models:read':      [R, R, _, R, R],
  'models:run':       [R, R, _, _, _],
  'pipelines:read':   [R, R, _, _, R],
  'jobs:read':        [R, R, _, _, R],
  'jobs:trigger':     [R, R, _, _, _],
  'dashboards:read':  [R, R, R, R, R],
  'status:read':      [R, R, _, _, R],
  'audit:read':       [R, _, _, _, _],
  'users:manage':     [R, _, _, _, _],
  'pii:read':         [R, _, R, _, _],
};

/** Dashboards each role may open ('*' = all). */
export const dashboardAccess: Record<Role, '*' | readonly string[]> = {
  admin: '*',
  ops: ['ops'],
  marketing: ['marketing'],
  exec: '*',
  analyst: '*',
};

/** @example can('marketing', 'exports:create') === true; can('exec', 'pii:read') === false */
export function can(role: Role, permission: Permission): boolean {
  return matrix[permission][roles.indexOf(role)];
}

export function canSeeDashboard(role: Role, dashboard: string): boolean {
  const a = dashboardAccess[role];
  return a === '*' || a.includes(dashboard);
}

export function isRole(s: string): s is Role {
  return (roles as readonly string[]).includes(s);
}

/** The permissions of a role, for `GET /api/v1/me` and `crm user list`. */
export function permissionsOf(role: Role): Permission[] {
  return permissions.filter((p) => can(role, p));
}
