import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Warehouse } from '../../../src/warehouse/index.ts';
import { principalForToken } from '../../../src/server/auth/index.ts';
import { crm } from '../../cli/run-crm.ts';
import { tempDir } from '../../helpers.ts';

describe('crm user, crm token, crm audit', () => {
  it('adds users, creates and revokes tokens, and shows it all in the audit log', async () => {
    const t = tempDir();
    const db = join(t.dir, 'crm.duckdb');
    try {
      const add = await crm(db, 'user', 'add', 'maria', '--role', 'exec', '--region', 'EMEA');
      expect(add).toMatchObject({ code: 0 });
      expect(add.out).toContain('added user maria (exec, only customers with region = EMEA)');
      expect((await crm(db, 'user', 'add', 'maria', '--role', 'exec')).code).not.toBe(0);
      const badRole = await crm(db, 'user', 'add', 'bob', '--role', 'root');
      expect(badRole.code).not.toBe(0);
      expect(badRole.err).toContain('admin, ops, marketing, exec, analyst');

      const created = await crm(db, 'token', 'create', '--user', 'maria', '--days', '30', '--label', 'laptop');
      expect(created.code).toBe(0);
      const secret = created.out.trim();
      expect(secret).toMatch(/^crm_[A-Za-z0-9_-]{43}$/);
      expect(created.err).toMatch(/^token 1 for maria, expires \d{4}-/);

      const list = await crm(db, 'token', 'list', '--format', 'json');
      const tokens = JSON.parse(list.out);
      expect(tokens).toHaveLength(1);
      expect(list.out).not.toContain(secret.slice(4));

      const wh = await Warehouse.open(db);
      try {
        expect(await principalForToken(wh, secret)).toMatchObject({ user: 'maria', role: 'exec', rowRule: { region: 'EMEA', rep: null } });
      } finally {
        await wh.close();
      }

      expect((await crm(db, 'user', 'set', 'maria', '--role', 'analyst', '--region', 'all')).out).toContain('user maria: role analyst, region all');
      expect((await crm(db, 'token', 'revoke', '1')).out).toMatch(/^revoked token 1 of maria/);
      expect((await crm(db, 'token', 'revoke', '1')).code).not.toBe(0);
      expect(JSON.parse((await crm(db, 'token', 'list', '--format', 'json')).out || '[]')).toEqual([]);

      const audit = JSON.parse((await crm(db, 'audit', '--format', 'json')).out);
      expect(audit.map((e: { action: string }) => e.action)).toEqual(['token.revoke', 'user.rows', 'user.role', 'token.create', 'user.create']);
      expect(audit.every((e: { actor: string; source: string }) => e.actor.startsWith('cli:') && e.source === 'cli')).toBe(true);
      expect(JSON.parse(audit.find((e: { action: string }) => e.action === 'user.role').details)).toEqual({ from: 'exec', to: 'analyst' });
      const tokenEvents = JSON.parse((await crm(db, 'audit', '--action', 'token', '--format', 'json')).out);
      expect(tokenEvents.map((e: { action: string }) => e.action)).toEqual(['token.revoke', 'token.create']);
      expect((await crm(db, 'audit', '--since', 'yesterday')).code).not.toBe(0);
      const users = await crm(db, 'user', 'list');
      expect(users.out).toMatch(/maria\s+analyst/);
    } finally {
      t.cleanup();
    }
  }, 60_000);
});
