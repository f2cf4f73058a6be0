-- 600_access: users, API tokens, dashboard sessions and the audit log (src/server/auth, issue 8).
-- Tokens and session ids are stored as sha256 hashes only: the secret is shown once, at creation.
-- Row rules live on the user (region, rep) and are applied in SQL by every route that reads customer rows.

create sequence auth_user_id_seq start 1;
create sequence auth_token_id_seq start 1;
create sequence audit_id_seq start 1;

-- One row per user. role: admin | ops | marketing | exec | analyst (src/server/auth/roles.ts).
create table auth_users (
  user_id bigint not null default nextval('auth_user_id_seq'),
  name varchar not null unique,
  role varchar not null,
  row_region varchar, -- row rule: only customers with this region (null = all)
  row_rep varchar, -- row rule: only customers owned by this employee id (null = all)
  created_at timestamptz not null,
  created_by varchar not null,
  disabled_at timestamptz
);

-- One row per API token; `token_hash` is sha256 of the secret.
create table auth_tokens (
  token_id bigint not null default nextval('auth_token_id_seq'),
  user_name varchar not null,
  token_hash varchar not null unique,
  label varchar,
  created_at timestamptz not null,
  created_by varchar not null,
  expires_at timestamptz,
  revoked_at timestamptz,
  revoked_by varchar
);

-- One row per dashboard session (login with a token); `session_hash` is sha256 of the cookie value.
create table auth_sessions (
  session_hash varchar not null unique,
  token_id bigint not null,
  user_name varchar not null,
  created_at timestamptz not null,
  expires_at timestamptz not null,
  ended_at timestamptz,
  ip varchar
);

-- Grain: one row per audited event — customer card reads, exports and downloads, token and role changes,
-- logins (ok and failed), denied requests. Who (actor + role), what (action, target, details), when, from where.
create table audit_log (
  audit_id bigint not null default nextval('audit_id_seq'),
  occurred_at timestamptz not null,
  actor varchar not null, -- user name, 'cli:<os user>', or 'anonymous'
  role varchar, -- the actor's role at the time (null for the CLI and the anonymous)
  action varchar not null, -- e.g. customer.read, export.create, export.download, token.create, user.role
  target varchar, -- what it was done to: a customer id, an export id, a user name
  outcome varchar not null, -- ok | denied | failed
  source varchar not null, -- 'cli' or the client address
  user_agent varchar,
  details json
);

-- The masking key: PII hashed for roles without PII rights is keyed, so hashes cannot be reversed by guessing.
create table auth_settings (
  key varchar not null unique,
  value varchar not null
);
