import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { acquireWriterLock, currentWriter, forceUnlock, inspectLock, lockPathFor, withWriter, type LockInfo } from '../../src/scheduler/index.ts';
import { Warehouse } from '../../src/warehouse/index.ts';
import { tempDir, withWarehouse } from '../helpers.ts';

const child = join(import.meta.dirname, 'fixtures/lock-child.ts');
const t = tempDir();
afterAll(() => t.cleanup());

/** A pid that certainly is not running: a process that has exited. */
function deadPid(): number {
  const p = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(p.stdout.toString());
}

function writeLock(db: string, info: Partial<LockInfo>, ageMs = 0) {
  const full: LockInfo = { pid: 1, host: hostname(), owner: 'crm schedule', started_at: '2026-11-24T02:00:00.000Z', token: 'old', proc_start: null, ...info };
  writeFileSync(lockPathFor(db), JSON.stringify(full));
  if (ageMs) {
    const when = new Date(Date.now() - ageMs);
    utimesSync(lockPathFor(db), when, when);
  }
}

/** Starts the lock child; resolves with its first line once it printed it. */
function startChild(db: string, holdMs: number): Promise<{ line: string; pid: number; exited: Promise<number | null> }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', child, db, String(holdMs)], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise<number | null>((r) => p.on('close', r));
    let out = '';
    p.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('\n')) resolve({ line: out.trim(), pid: p.pid!, exited });
    });
    p.on('error', reject);
  });
}

describe('writer lock file', () => {
  it('gives a second process a clear "locked by pid N since …" error, and is free again after release', async () => {
    const db = join(t.dir, 'a.duckdb');
    const lock = acquireWriterLock(db, 'crm schedule');
    try {
      const info = JSON.parse(readFileSync(lockPathFor(db), 'utf8')) as LockInfo;
      expect(info).toMatchObject({ pid: process.pid, host: hostname(), owner: 'crm schedule' });
      const c = await startChild(db, 0);
      expect(c.line).toBe(
        `CONFLICT warehouse ${db} is locked by pid ${process.pid} on host ${hostname()} (crm schedule) since ${info.started_at}; wait for it to finish or stop it (lock file: ${db}.lock)`,
      );
    } finally {
      lock.release();
    }
    expect(existsSync(lockPathFor(db))).toBe(false);
    expect((await startChild(db, 0)).line).toBe('OK');
  }, 30_000);

  it('takes over the lock of a process that was killed', async () => {
    const db = join(t.dir, 'b.duckdb');
    const c = await startChild(db, 60_000);
    expect(c.line).toBe('OK');
    expect(() => acquireWriterLock(db, 'me')).toThrow(`locked by pid ${c.pid}`);
    process.kill(c.pid, 'SIGKILL');
    await c.exited;
    expect(inspectLock(db)).toMatchObject({ state: 'stale', why: `process ${c.pid} is not running` });
    const stale: string[] = [];
    const lock = acquireWriterLock(db, 'me', { onStale: (why) => stale.push(why) });
    expect(stale).toEqual([`process ${c.pid} is not running`]);
    expect(JSON.parse(readFileSync(lockPathFor(db), 'utf8')).pid).toBe(process.pid);
    lock.release();
  }, 30_000);

  it('tells stale locks from live ones: reused pid, this pid from an earlier life, other hosts by heartbeat, empty files', () => {
    const db = join(t.dir, 'c.duckdb');
    writeLock(db, { pid: deadPid() });
    expect(inspectLock(db).state).toBe('stale');
    writeLock(db, { pid: process.ppid, proc_start: '1' }); // alive, but started at another time
    expect(inspectLock(db)).toMatchObject({ state: 'stale', why: `pid ${process.ppid} now belongs to another process` });
    writeLock(db, { pid: process.ppid, proc_start: null });
    expect(inspectLock(db)).toMatchObject({ state: 'held', ours: false });
    writeLock(db, { pid: process.pid, token: 'a previous process' });
    expect(inspectLock(db).state).toBe('stale');
    writeLock(db, { pid: 4711, host: 'ops-2' }, 60_000);
    expect(inspectLock(db)).toMatchObject({ state: 'held' });
    expect(() => acquireWriterLock(db, 'me')).toThrow('is locked by pid 4711 on host ops-2 (crm schedule) since 2026-11-24T02:00:00.000Z');
    writeLock(db, { pid: 4711, host: 'ops-2' }, 11 * 60_000);
    expect(inspectLock(db)).toMatchObject({ state: 'stale', why: expect.stringMatching(/^no heartbeat from ops-2 for 6\d\ds$/) });
    writeFileSync(lockPathFor(db), '');
    utimesSync(lockPathFor(db), new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
    expect(inspectLock(db)).toMatchObject({ state: 'stale', why: 'the lock file is empty or unreadable' });
    const lock = acquireWriterLock(db, 'me');
    lock.release();
  });

  it('lets exactly one of several processes take over a stale lock at once', async () => {
    const db = join(t.dir, 'd.duckdb');
    writeLock(db, { pid: deadPid() });
    const results = await Promise.all([0, 1, 2, 3].map(() => startChild(db, 3000)));
    expect(results.filter((r) => r.line === 'OK')).toHaveLength(1);
    expect(results.filter((r) => r.line.startsWith('CONFLICT ')).length).toBe(3);
    await Promise.all(results.map((r) => r.exited));
  }, 30_000);

  it('is re-entrant within a process and removed with the last reference', () => {
    const db = join(t.dir, 'e.duckdb');
    const a = acquireWriterLock(db, 'scheduler');
    const b = acquireWriterLock(db, 'job nightly');
    expect(b.info.token).toBe(a.info.token);
    b.release();
    expect(existsSync(lockPathFor(db))).toBe(true);
    a.release();
    expect(existsSync(lockPathFor(db))).toBe(false);
  });

  it('crm jobs unlock: removes a stale lock, refuses a live one unless forced', () => {
    const db = join(t.dir, 'f.duckdb');
    expect(forceUnlock(db).removed).toBe(false);
    writeLock(db, { pid: deadPid() });
    expect(forceUnlock(db).removed).toBe(true);
    writeLock(db, { pid: process.ppid });
    expect(() => forceUnlock(db)).toThrow(/its holder is alive — stop it, or pass --force/);
    expect(forceUnlock(db, true).removed).toBe(true);
  });
});

describe('withWriter', () => {
  it('runs writers of one process one after another, holding the lock file meanwhile', async () => {
    await withWarehouse(async (wh) => {
      const order: string[] = [];
      const waits: string[] = [];
      let release!: () => void;
      const first = withWriter(wh, 'job nightly', async () => {
        order.push('nightly:start');
        expect(existsSync(lockPathFor(wh.path))).toBe(true);
        expect(currentWriter(wh)?.label).toBe('job nightly');
        await new Promise<void>((r) => (release = r));
        order.push('nightly:end');
      });
      const second = withWriter(wh, 'api reload', async () => void order.push('api'), { onWait: (h) => waits.push(h) });
      await new Promise((r) => setTimeout(r, 50));
      expect(order).toEqual(['nightly:start']);
      expect(waits).toEqual(['job nightly']);
      release();
      await Promise.all([first, second]);
      expect(order).toEqual(['nightly:start', 'nightly:end', 'api']);
      expect(currentWriter(wh)).toBeNull();
      expect(existsSync(lockPathFor(wh.path))).toBe(false);
    });
  });

  it('releases the writer when the work throws', async () => {
    const db = join(t.dir, 'g.duckdb');
    const wh = await Warehouse.open(db);
    try {
      await expect(withWriter(wh, 'x', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
      expect(currentWriter(wh)).toBeNull();
      expect(existsSync(lockPathFor(db))).toBe(false);
      await withWriter(wh, 'y', async () => undefined);
    } finally {
      await wh.close();
    }
  });
});
