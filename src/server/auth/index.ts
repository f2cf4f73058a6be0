/**
 * Access control: users, hashed API tokens, dashboard sessions, roles and the permission matrix, row
 * rules in SQL, PII masking, the audit log, rate limits and security headers. See README.md here.
 */
import type { DashboardService } from '../../publish/dashboards/index.ts';
import { DashboardService as Service } from '../../publish/dashboards/index.ts';
import type { Warehouse } from '../../warehouse/index.ts';
import { createApi, type ApiOptions } from '../api/index.ts';
import type { AppOptions } from '../app.ts';
import { createAccess, principalOf, type Access, type AccessOptions, type AuthMode } from './access.ts';
import { canSeeDashboard } from './roles.ts';

export { createAccess, principalOf, actorOf, requirePermission, securityHeaders, safeNext, type Access, type AccessOptions, type AuthMode } from './access.ts';
export { roles, permissions, matrix, dashboardAccess, can, canSeeDashboard, isRole, permissionsOf, type Role, type Permission } from './roles.ts';
export { addUser, updateUser, getUser, listUsers, createToken, revokeToken, listTokens, principalForToken, principalForSession, maskingKey, sha256Hex, type User, type Principal, type RowRule, type TokenRow } from './store.ts';
export { audit, auditRows, cliActor, type AuditActor, type AuditEvent, type AuditRow, type AuditQuery } from './audit.ts';
export { PiiMasker, piiColumns, isPiiColumn, maskSql } from './mask.ts';
export { rowPredicate, rowPredicateSql, requireVisibleCustomer, unrestricted } from './row-rules.ts';
export { RateLimiter, type RateLimitOptions } from './rate-limit.ts';

/** What `createApp` needs besides its own options to run with access control and the /api/v1 routes. */
export type SecureOptions = Omit<AccessOptions, 'mode'> & ApiOptions;

/**
 * App options with the access layer and /api/v1 wired through createApp's hooks: `before` installs
 * authentication and guards, `extend` mounts the API, `restrictFilters` applies row rules to dashboards.
 *
 * @example
 * const app = createApp(wh, secureAppOptions(wh, 'required', { exportsDir: 'data/exports' }));
 */
export function secureAppOptions(wh: Warehouse, mode: AuthMode, secure: SecureOptions = {}, base: AppOptions = {}): AppOptions & { access: Access } {
  const svc: DashboardService = base.dashboards ?? new Service(wh, { dir: base.dashboardsDir });
  const access = createAccess(wh, svc, { mode, rateLimit: secure.rateLimit, failedAuthLimit: secure.failedAuthLimit, sessionHours: secure.sessionHours });
  return {
    ...base,
    dashboards: svc,
    access,
    restrictFilters: access.restrictFilters(base.restrictFilters),
    visible: (req, dashboard) => canSeeDashboard(principalOf(req).role, dashboard) && (base.visible?.(req, dashboard) ?? true),
    before: (app) => {
      access.install(app);
      base.before?.(app);
    },
    extend: (app) => {
      app.use('/api/v1', createApi(wh, svc, access, secure));
      base.extend?.(app);
    },
  };
}
