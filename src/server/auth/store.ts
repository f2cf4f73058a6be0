/**
 * Users, API tokens and sessions in the warehouse (migration 600). Secrets are random 32-byte values
 * shown once; only their sha256 is stored, so a copy of the warehouse file does not hand out access.
 */
import { createHash, randomBytes } from 'node:crypto';
import { AppError, ValidationError } from '../../errors.ts';
import type { Queryable, Warehouse } from '../../warehouse/index.ts';
import { isRole, roles, type Role } from './roles.ts';
import { audit, type AuditActor } from './audit.ts';

export interface User {
  user_id: number;
  name: string;
  role: Role;
  row_region: string | null;
  row_rep: string | null;
  created_at: string;
  created_by: string;
  disabled_at: string | null;
}

/** Who a request runs as: the user, their row rule and how they authenticated. */
export interface Principal {
  user: string;
  role: Role;
  rowRule: RowRule;
  tokenId: number | null;
  via: 'token' | 'session' | 'open';
}

/** Customers a user may see: null fields = no restriction. Applied in SQL (see row-rules.ts). */
export interface RowRule {
  region: string | null;
  rep: string | null;
}

export const sha256Hex = (s: string) => createHash('sha256').update(s).digest('hex');

/** A new secret with a recognisable prefix (`crm_` tokens, `crs_` sessions), 256 random bits. */
export const newSecret = (prefix: 'crm_' | 'crs_') => `${prefix}${randomBytes(32).toString('base64url')}`;

const userName = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

function checkRole(role: string): Role {
  if (!isRole(role)) throw new ValidationError(`unknown role "${role}"; roles: ${roles.join(', ')}`, { field: 'role' });
  return role;
}

export async function getUser(q: Queryable, name: string): Promise<User | null> {
  const [u] = await q.all<User>('select * from auth_users where name = $name', { name });
  return u ?? null;
}

async function requireUser(q: Queryable, name: string): Promise<User> {
  const u = await getUser(q, name);
  if (!u) throw new AppError('NOT_FOUND', `no user "${name}" (see crm user list)`);
  return u;
}

export async function listUsers(q: Queryable): Promise<(User & { active_tokens: number })[]> {
  return q.all(
    `select u.*, (select count(*) from auth_tokens t where t.user_name = u.name and t.revoked_at is null
                  and (t.expires_at is null or t.expires_at > now())) as active_tokens
     from auth_users u order by u.name`,
  );
}

/**
 * Adds a user (audited as user.create).
 * @example await addUser(wh, { name: 'maria', role: 'exec', region: 'EMEA' }, { actor: 'cli:root', source: 'cli' });
 */
export async function addUser(wh: Warehouse, input: { name: string; role: string; region?: string | null; rep?: string | null }, by: AuditActor): Promise<User> {
  if (!userName.test(input.name)) throw new ValidationError('a user name is 1–64 letters, digits, . _ @ - (starting with a letter or digit)', { field: 'name' });
  const role = checkRole(input.role);
  return wh.transaction(async (tx) => {
    if (await getUser(tx, input.name)) throw new AppError('CONFLICT', `user "${input.name}" already exists; change the role with crm user set-role`);
    await tx.run(
      `insert into auth_users (name, role, row_region, row_rep, created_at, created_by) values ($name, $role, $region, $rep, now(), $by)`,
      { name: input.name, role, region: input.region ?? null, rep: input.rep ?? null, by: by.actor },
    );
    await audit(tx, by, { action: 'user.create', target: input.name, details: { role, rowRule: { region: input.region ?? null, rep: input.rep ?? null } } });
    return (await getUser(tx, input.name))!;
  });
}

/** Changes a user's role and/or row rule (audited as user.role / user.rows with before and after). */
export async function updateUser(
  wh: Warehouse,
  name: string,
  change: { role?: string; region?: string | null; rep?: string | null; disabled?: boolean },
  by: AuditActor,
): Promise<User> {
  return wh.transaction(async (tx) => {
    const before = await requireUser(tx, name);
    const role = change.role !== undefined ? checkRole(change.role) : before.role;
    const region = change.region !== undefined ? change.region : before.row_region;
    const rep = change.rep !== undefined ? change.rep : before.row_rep;
    await tx.run(
      `update auth_users set role = $role, row_region = $region, row_rep = $rep,
         disabled_at = case when $disable is null then disabled_at when $disable then coalesce(disabled_at, now()) else null end
       where name = $name`,
      { role, region, rep, disable: change.disabled ?? null, name },
    );
    if (role !== before.role) await audit(tx, by, { action: 'user.role', target: name, details: { from: before.role, to: role } });
    if (region !== before.row_region || rep !== before.row_rep)
      await audit(tx, by, { action: 'user.rows', target: name, details: { from: { region: before.row_region, rep: before.row_rep }, to: { region, rep } } });
    if (change.disabled !== undefined && change.disabled !== (before.disabled_at !== null))
      await audit(tx, by, { action: change.disabled ? 'user.disable' : 'user.enable', target: name });
    return (await getUser(tx, name))!;
  }).finally(forgetPrincipals);
}

export interface TokenRow {
  token_id: number;
  user_name: string;
  label: string | null;
  created_at: string;
  created_by: string;
  expires_at: string | null;
  revoked_at: string | null;
}

/**
 * Creates an API token for a user; the secret is returned once and only its hash is stored (audited as token.create).
 * @example const { token } = await createToken(wh, { user: 'maria', days: 90 }, by); // 'crm_…'
 */
export async function createToken(wh: Warehouse, input: { user: string; label?: string; days?: number }, by: AuditActor): Promise<{ token: string; row: TokenRow }> {
  if (input.days !== undefined && !(Number.isInteger(input.days) && input.days > 0 && input.days <= 3650))
    throw new ValidationError('expiry is a whole number of days, 1–3650', { field: 'days' });
  const token = newSecret('crm_');
  return wh.transaction(async (tx) => {
    const user = await requireUser(tx, input.user);
    if (user.disabled_at) throw new AppError('CONFLICT', `user "${input.user}" is disabled; enable it first`);
    const [row] = await tx.all<TokenRow>(
      `insert into auth_tokens (user_name, token_hash, label, created_at, created_by, expires_at)
       values ($user, $hash, $label, now(), $by, case when $days is null then null else now() + to_days(cast($days as integer)) end)
       returning token_id, user_name, label, created_at, created_by, expires_at, revoked_at`,
      { user: input.user, hash: sha256Hex(token), label: input.label ?? null, by: by.actor, days: input.days ?? null },
    );
    await audit(tx, by, { action: 'token.create', target: input.user, details: { tokenId: row.token_id, label: row.label, expiresAt: row.expires_at } });
    return { token, row };
  });
}

/** Revokes a token and ends its sessions (audited as token.revoke). */
export async function revokeToken(wh: Warehouse, tokenId: number, by: AuditActor): Promise<TokenRow> {
  return wh.transaction(async (tx) => {
    const [t] = await tx.all<TokenRow>('select token_id, user_name, label, created_at, created_by, expires_at, revoked_at from auth_tokens where token_id = $id', { id: tokenId });
    if (!t) throw new AppError('NOT_FOUND', `no token ${tokenId} (see crm token list)`);
    if (t.revoked_at) throw new AppError('CONFLICT', `token ${tokenId} was already revoked at ${t.revoked_at}`);
    await tx.run('update auth_tokens set revoked_at = now(), revoked_by = $by where token_id = $id', { id: tokenId, by: by.actor });
    await tx.run('update auth_sessions set ended_at = now() where token_id = $id and ended_at is null', { id: tokenId });
    await audit(tx, by, { action: 'token.revoke', target: t.user_name, details: { tokenId } });
    const [after] = await tx.all<TokenRow>('select token_id, user_name, label, created_at, created_by, expires_at, revoked_at from auth_tokens where token_id = $id', { id: tokenId });
    return after;
  }).finally(forgetPrincipals);
}

export async function listTokens(q: Queryable, o: { user?: string; all?: boolean } = {}): Promise<TokenRow[]> {
  return q.all<TokenRow>(
    `select token_id, user_name, label, created_at, created_by, expires_at, revoked_at from auth_tokens
     where ($user is null or user_name = $user) and ($all or (revoked_at is null and (expires_at is null or expires_at > now())))
     order by token_id`,
    { user: o.user ?? null, all: o.all ?? false },
  );
}

/**
 * Principals of recently seen tokens and sessions, for 5 s: a token check is a join in DuckDB (a few ms),
 * a cache hit a map lookup. Every change that could end access in this process (revoke, role or row-rule
 * change, disable, logout) clears it; the CLI cannot change these while the server holds the warehouse.
 */
const cache = new Map<string, { p: Principal; until: number }>();
const CACHE_MS = 5_000;
/** Forgets every cached principal (after any change to users, tokens or sessions). */
export function forgetPrincipals(): void {
  cache.clear();
}
async function cached(key: string, load: () => Promise<{ p: Principal; expiresAt: string | null } | null>): Promise<Principal | null> {
  const now = Date.now();
  const hit = cache.get(key);
  if (hit && hit.until > now) return hit.p;
  const r = await load();
  if (!r) return null;
  if (cache.size > 10_000) cache.clear();
  // Never past the moment the token or session expires.
  cache.set(key, { p: r.p, until: Math.min(now + CACHE_MS, r.expiresAt ? Date.parse(r.expiresAt) : Infinity) });
  return r.p;
}

const principalOf = (r: { name: string; role: string; row_region: string | null; row_rep: string | null; token_id: number }, via: 'token' | 'session'): Principal => ({
  user: r.name,
  role: r.role as Role,
  rowRule: { region: r.row_region, rep: r.row_rep },
  tokenId: r.token_id,
  via,
});

/** The principal of a live token (not revoked, not expired, user enabled), or null. */
export async function principalForToken(q: Queryable, token: string): Promise<Principal | null> {
  if (!/^crm_[A-Za-z0-9_-]{43}$/.test(token)) return null;
  const hash = sha256Hex(token);
  return cached(`t:${hash}`, async () => {
    const [r] = await q.all<{ name: string; role: string; row_region: string | null; row_rep: string | null; token_id: number; expires_at: string | null }>(
      `select u.name, u.role, u.row_region, u.row_rep, t.token_id, t.expires_at
       from auth_tokens t join auth_users u on u.name = t.user_name
       where t.token_hash = $hash and t.revoked_at is null and (t.expires_at is null or t.expires_at > now()) and u.disabled_at is null`,
      { hash },
    );
    return r && isRole(r.role) ? { p: principalOf(r, 'token'), expiresAt: r.expires_at } : null;
  });
}

/** Starts a dashboard session for a token's principal; returns the cookie value (shown once). */
export async function createSession(q: Queryable, p: Principal, o: { hours: number; ip: string }): Promise<string> {
  const id = newSecret('crs_');
  await q.run(
    `insert into auth_sessions (session_hash, token_id, user_name, created_at, expires_at, ip)
     values ($hash, $token, $user, now(), now() + to_hours(cast($hours as integer)), $ip)`,
    { hash: sha256Hex(id), token: p.tokenId, user: p.user, hours: o.hours, ip: o.ip },
  );
  return id;
}

/** The principal of a live session: the session, its token and its user must all still be valid. */
export async function principalForSession(q: Queryable, sessionId: string): Promise<Principal | null> {
  if (!/^crs_[A-Za-z0-9_-]{43}$/.test(sessionId)) return null;
  const hash = sha256Hex(sessionId);
  return cached(`s:${hash}`, async () => {
    const [r] = await q.all<{ name: string; role: string; row_region: string | null; row_rep: string | null; token_id: number; expires_at: string }>(
      `select u.name, u.role, u.row_region, u.row_rep, t.token_id, least(s.expires_at, coalesce(t.expires_at, s.expires_at)) as expires_at
       from auth_sessions s join auth_tokens t on t.token_id = s.token_id join auth_users u on u.name = s.user_name
       where s.session_hash = $hash and s.ended_at is null and s.expires_at > now()
         and t.revoked_at is null and (t.expires_at is null or t.expires_at > now()) and u.disabled_at is null`,
      { hash },
    );
    return r && isRole(r.role) ? { p: principalOf(r, 'session'), expiresAt: r.expires_at } : null;
  });
}

export async function endSession(q: Queryable, sessionId: string): Promise<void> {
  await q.run('update auth_sessions set ended_at = now() where session_hash = $hash and ended_at is null', { hash: sha256Hex(sessionId) });
  forgetPrincipals();
}

/** The key PII hashes are made with; created on first use. */
export async function maskingKey(wh: Warehouse): Promise<string> {
  const read = async () => (await wh.all<{ value: string }>("select value from auth_settings where key = 'masking_key'"))[0]?.value;
  const existing = await read();
  if (existing) return existing;
  await wh.run("insert into auth_settings (key, value) values ('masking_key', $v) on conflict do nothing", { v: randomBytes(32).toString('hex') });
  return (await read())!;
}
