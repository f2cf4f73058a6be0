/**
 * The audit log: who did what, when, from where. Written in the same transaction as the change it
 * records where there is one (token and role changes), right after the fact for reads (customer cards,
 * downloads). Secrets never go into `details`.
 */
import { userInfo } from 'node:os';
import type { Queryable } from '../../warehouse/index.ts';

export interface AuditActor {
  actor: string;
  role?: string | null;
  /** 'cli' or the client address. */
  source: string;
  userAgent?: string | null;
}

export interface AuditEvent {
  action: string;
  target?: string | number | null;
  outcome?: 'ok' | 'denied' | 'failed';
  details?: Record<string, unknown>;
}

export interface AuditRow {
  audit_id: number;
  occurred_at: string;
  actor: string;
  role: string | null;
  action: string;
  target: string | null;
  outcome: string;
  source: string;
  user_agent: string | null;
  details: string | null;
}

/** The actor for CLI commands: `cli:<os user>`. */
export function cliActor(): AuditActor {
  let name = process.env.USER ?? 'unknown';
  try {
    name = userInfo().username;
  } catch {
    // no passwd entry (containers): keep $USER
  }
  return { actor: `cli:${name}`, role: null, source: 'cli' };
}

/** Appends one event. */
export async function audit(q: Queryable, by: AuditActor, e: AuditEvent): Promise<void> {
  await q.run(
    `insert into audit_log (occurred_at, actor, role, action, target, outcome, source, user_agent, details)
     values (now(), $actor, $role, $action, $target, $outcome, $source, $ua, $details)`,
    {
      actor: by.actor,
      role: by.role ?? null,
      action: e.action,
      target: e.target === undefined || e.target === null ? null : String(e.target),
      outcome: e.outcome ?? 'ok',
      source: by.source,
      ua: by.userAgent ? by.userAgent.slice(0, 300) : null,
      details: e.details ? JSON.stringify(e.details) : null,
    },
  );
}

export interface AuditQuery {
  actor?: string;
  action?: string;
  target?: string;
  since?: string;
  until?: string;
  outcome?: string;
  limit?: number;
}

/**
 * Events newest first. `action` matches a prefix ('export' finds export.create and export.download).
 * @example await auditRows(wh, { actor: 'maria', since: '2026-11-01', limit: 50 })
 */
export async function auditRows(q: Queryable, o: AuditQuery = {}): Promise<AuditRow[]> {
  return q.all<AuditRow>(
    `select audit_id, occurred_at, actor, role, action, target, outcome, source, user_agent, cast(details as varchar) as details
     from audit_log
     where ($actor is null or actor = $actor)
       and ($action is null or action = $action or starts_with(action, $action || '.'))
       and ($target is null or target = $target)
       and ($outcome is null or outcome = $outcome)
       and ($since is null or occurred_at >= cast($since as timestamptz))
       and ($until is null or occurred_at < cast($until as timestamptz))
     order by audit_id desc
     limit $limit`,
    {
      actor: o.actor ?? null,
      action: o.action ?? null,
      target: o.target ?? null,
      outcome: o.outcome ?? null,
      since: o.since ?? null,
      until: o.until ?? null,
      limit: o.limit ?? 100,
    },
  );
}
