import { randomUUID } from 'node:crypto';
import { linkSync, readFileSync, renameSync, rmSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { AppError } from '../errors.ts';
import type { Warehouse } from '../warehouse/index.ts';

/**
 * One writer at a time, at two levels:
 * - across processes, a lock file next to the warehouse (`<db>.lock`, JSON: pid, host, owner,
 *   started_at) that appears atomically (written aside, then hard-linked into place). A second
 *   scheduler or CLI gets "locked by pid N …". A lock whose
 *   process is gone (same host: the pid is dead or belongs to a newer process; other hosts: no
 *   heartbeat for `staleAfterMs`) is stale and is taken over safely.
 * - within a process, a mutex per warehouse so that the scheduler, a manual run and an API-triggered
 *   load queue up instead of writing at the same time.
 */

export interface LockInfo {
  pid: number;
  host: string;
  owner: string;
  started_at: string;
  token: string;
  /** Start time of the process (Linux clock ticks since boot), to tell a reused pid from the holder. */
  proc_start: string | null;
}

export interface WriterLock {
  readonly path: string;
  readonly info: LockInfo;
  /** Releases this reference; the file goes when the last reference in the process is released. */
  release(): void;
}

/** How often the holder touches the lock file, and how old a heartbeat must be to call a foreign host's lock stale. */
export const HEARTBEAT_MS = 30_000;
export const STALE_AFTER_MS = 10 * 60_000;

export const lockPathFor = (dbPath: string) => `${resolve(dbPath)}.lock`;

interface Held {
  info: LockInfo;
  refs: number;
  heartbeat: NodeJS.Timeout;
}
const held = new Map<string, Held>();

/** Linux: field 22 of /proc/<pid>/stat (start time in clock ticks after boot); null elsewhere. */
export function processStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export type LockState = { state: 'free' } | { state: 'held'; info: LockInfo; ours: boolean } | { state: 'stale'; info: LockInfo | null; why: string };

/** What the lock file says and whether its holder still lives. */
export function inspectLock(dbPath: string, options: { staleAfterMs?: number; now?: number } = {}): LockState {
  const path = lockPathFor(dbPath);
  let text: string;
  let mtime: number;
  try {
    text = readFileSync(path, 'utf8');
    mtime = statSync(path).mtimeMs;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { state: 'free' };
    throw e;
  }
  let info: LockInfo;
  try {
    info = JSON.parse(text) as LockInfo;
    if (typeof info.pid !== 'number' || typeof info.host !== 'string') throw new Error('bad shape');
  } catch {
    // A crash between create and write leaves an empty file: stale once it is not brand new.
    const age = (options.now ?? Date.now()) - mtime;
    return age > 5_000 ? { state: 'stale', info: null, why: 'the lock file is empty or unreadable' } : { state: 'held', info: unknownInfo(text), ours: false };
  }
  const mine = held.get(path);
  if (mine && mine.info.token === info.token) return { state: 'held', info, ours: true };
  if (info.host === hostname()) {
    if (info.pid === process.pid) return { state: 'stale', info, why: `pid ${info.pid} is this process, which does not hold the lock (a previous process with the same pid)` };
    if (!pidAlive(info.pid)) return { state: 'stale', info, why: `process ${info.pid} is not running` };
    const start = processStart(info.pid);
    if (info.proc_start && start && start !== info.proc_start) return { state: 'stale', info, why: `pid ${info.pid} now belongs to another process` };
    return { state: 'held', info, ours: false };
  }
  const staleAfter = options.staleAfterMs ?? STALE_AFTER_MS;
  const silent = (options.now ?? Date.now()) - mtime;
  if (silent > staleAfter) return { state: 'stale', info, why: `no heartbeat from ${info.host} for ${Math.round(silent / 1000)}s` };
  return { state: 'held', info, ours: false };
}

function unknownInfo(text: string): LockInfo {
  return { pid: 0, host: '?', owner: `being written (${text.length} bytes)`, started_at: new Date().toISOString(), token: '', proc_start: null };
}

/** "warehouse data/crm.duckdb is locked by pid 4711 on host ops-1 (crm schedule) since 2026-11-24T02:00:00.000Z" */
export function lockedMessage(dbPath: string, info: LockInfo): string {
  return `warehouse ${dbPath} is locked by pid ${info.pid} on host ${info.host} (${info.owner}) since ${info.started_at}; wait for it to finish or stop it (lock file: ${lockPathFor(dbPath)})`;
}

/**
 * Takes the writer lock file of a warehouse for this process (re-entrant: a second acquisition in the
 * same process adds a reference). Throws CONFLICT when a live process holds it; takes over a stale one.
 *
 * @example
 * const lock = acquireWriterLock('data/crm.duckdb', 'crm ingest');
 * try { … } finally { lock.release(); }
 */
export function acquireWriterLock(dbPath: string, owner: string, options: { staleAfterMs?: number; onStale?: (why: string, info: LockInfo | null) => void } = {}): WriterLock {
  const path = lockPathFor(dbPath);
  const mine = held.get(path);
  if (mine) {
    mine.refs++;
    return handle(path, mine);
  }
  for (let tries = 0; tries < 5; tries++) {
    const info: LockInfo = {
      pid: process.pid,
      host: hostname(),
      owner,
      started_at: new Date().toISOString(),
      token: randomUUID(),
      proc_start: processStart(process.pid),
    };
    // Written in full under a private name, then linked into place: link() fails if the lock exists,
    // so the lock file appears atomically with its content (no empty file another process could misjudge).
    const draft = `${path}.new-${process.pid}-${info.token.slice(0, 8)}`;
    try {
      writeFileSync(draft, `${JSON.stringify(info)}\n`, { mode: 0o644 });
      linkSync(draft, path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new AppError('INTERNAL', `cannot create lock file ${path}: ${(e as Error).message}`);
      const state = inspectLock(dbPath, options);
      if (state.state === 'free') continue;
      if (state.state === 'held') throw new AppError('CONFLICT', lockedMessage(dbPath, state.info), { lock: state.info });
      takeOverStale(path, state.info);
      options.onStale?.(state.why, state.info);
      continue;
    } finally {
      rmSync(draft, { force: true });
    }
    const entry: Held = {
      info,
      refs: 1,
      heartbeat: setInterval(() => {
        try {
          const now = new Date();
          utimesSync(path, now, now);
        } catch {
          // The file was removed by hand; the next acquisition elsewhere will say so.
        }
      }, HEARTBEAT_MS).unref(),
    };
    held.set(path, entry);
    return handle(path, entry);
  }
  throw new AppError('CONFLICT', `could not take the writer lock ${path}: other processes keep taking it`);
}

/**
 * Moves a stale lock file aside (rename is atomic: of two processes recovering at once, one wins and
 * the other sees the winner's fresh lock). If what was moved is not the lock judged stale — someone
 * replaced it in between — it is put back without overwriting anything.
 */
function takeOverStale(path: string, judged: LockInfo | null): void {
  const aside = `${path}.stale-${process.pid}-${randomUUID().slice(0, 8)}`;
  try {
    renameSync(path, aside);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  let moved: LockInfo | null = null;
  try {
    moved = JSON.parse(readFileSync(aside, 'utf8')) as LockInfo;
  } catch {
    moved = null;
  }
  // Put back anything but the lock judged stale (an unreadable file counts as such only if that was the judgement).
  if (judged ? moved?.token !== judged.token : moved !== null) {
    try {
      linkSync(aside, path); // put the live lock back; fails (and then O_EXCL decides) only if a third process created one
    } catch {
      /* a newer lock exists */
    }
  }
  try {
    unlinkSync(aside);
  } catch {
    /* already gone */
  }
}

function handle(path: string, entry: Held): WriterLock {
  let released = false;
  return {
    path,
    info: entry.info,
    release() {
      if (released) return;
      released = true;
      entry.refs--;
      if (entry.refs > 0) return;
      clearInterval(entry.heartbeat);
      held.delete(path);
      try {
        const now = JSON.parse(readFileSync(path, 'utf8')) as LockInfo;
        if (now.token === entry.info.token) unlinkSync(path);
      } catch {
        /* gone already */
      }
    },
  };
}

/** Removes a lock file by hand (`crm jobs unlock`): refuses while a live holder on this host has it, unless forced. */
export function forceUnlock(dbPath: string, force = false): { removed: boolean; state: LockState } {
  const state = inspectLock(dbPath);
  if (state.state === 'free') return { removed: false, state };
  if (state.state === 'held' && state.ours) throw new AppError('CONFLICT', 'this process holds the lock; it is released when the process stops');
  if (state.state === 'held' && !force) {
    throw new AppError('CONFLICT', `${lockedMessage(dbPath, state.info)}; its holder is alive — stop it, or pass --force if that host is gone`);
  }
  try {
    unlinkSync(lockPathFor(dbPath));
  } catch {
    /* raced */
  }
  return { removed: true, state };
}

// ---- in-process mutex ----

interface Waiter {
  label: string;
  resolve: () => void;
}
interface MutexState {
  holder: string | null;
  since: number;
  queue: Waiter[];
}
const mutexes = new Map<string, MutexState>();

const mutexKey = (wh: Warehouse | string) => (typeof wh === 'string' ? wh : wh.path === ':memory:' ? `:memory:${idOf(wh)}` : resolve(wh.path));
const ids = new WeakMap<object, number>();
let nextId = 1;
function idOf(o: object): number {
  let id = ids.get(o);
  if (!id) ids.set(o, (id = nextId++));
  return id;
}

/** Who writes to this warehouse in this process right now (null when nobody). */
export function currentWriter(wh: Warehouse): { label: string; since: Date } | null {
  const m = mutexes.get(mutexKey(wh));
  return m?.holder ? { label: m.holder, since: new Date(m.since) } : null;
}

async function lockMutex(key: string, label: string, onWait?: (holder: string) => void): Promise<() => void> {
  let m = mutexes.get(key);
  if (!m) mutexes.set(key, (m = { holder: null, since: 0, queue: [] }));
  const state = m;
  if (state.holder !== null) {
    onWait?.(state.holder);
    await new Promise<void>((r) => state.queue.push({ label, resolve: r }));
  }
  state.holder = label;
  state.since = Date.now();
  return () => {
    const next = state.queue.shift();
    if (next) {
      state.holder = next.label;
      next.resolve();
    } else {
      state.holder = null;
      mutexes.delete(key);
    }
  };
}

export interface WithWriterOptions {
  /** Called when another writer of this process holds the warehouse and this one waits. */
  onWait?: (holder: string) => void;
}

/**
 * Runs `fn` as the only writer of the warehouse: waits for other writers of this process, and holds
 * the warehouse's lock file (CONFLICT when another live process has it). Everything that loads or
 * rebuilds tables — scheduled jobs, `crm ingest`, API-triggered loads — should go through this.
 *
 * @example
 * await withWriter(wh, 'api: reload orders', () => runPipelineFile(wh, 'pipelines/demo/orders.json'));
 */
export async function withWriter<T>(wh: Warehouse, label: string, fn: () => Promise<T>, options: WithWriterOptions = {}): Promise<T> {
  const unlock = await lockMutex(mutexKey(wh), label, options.onWait);
  let file: WriterLock | null = null;
  try {
    if (wh.path !== ':memory:') file = acquireWriterLock(wh.path, label);
    return await fn();
  } finally {
    file?.release();
    unlock();
  }
}
