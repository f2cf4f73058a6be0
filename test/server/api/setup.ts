import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { Warehouse } from '../../../src/warehouse/index.ts';
import { startServer, type RunningServer, type StartServerOptions } from '../../../src/server/index.ts';
import { addUser, createToken, type Role } from '../../../src/server/auth/index.ts';
import { seedFixture } from '../../models/segments/fixture.ts';
import { tempDir } from '../../helpers.ts';

export const by = { actor: 'test', source: 'test' };

/** Users of the test server: one per role, plus row-restricted ones. */
export const users = {
  admin: 'admin',
  ops: 'olga',
  marketing: 'mark',
  exec: 'erin',
  analyst: 'ana',
  emeaAnalyst: 'emea-ana',
  amerMarketing: 'amer-mark',
} as const;
export type UserKey = keyof typeof users;

export interface TestServer {
  wh: Warehouse;
  server: RunningServer;
  url: string;
  dir: string;
  exportsDir: string;
  tokens: Record<UserKey, string>;
  logs: string[];
  /** fetch with a user's token (or none). */
  call(user: UserKey | null, path: string, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

/** A real warehouse file seeded with the segments fixture (12 customers: 9 EMEA, 2 AMER, 1 none) and a server requiring auth. */
export async function startTestServer(options: Partial<StartServerOptions> = {}): Promise<TestServer> {
  const t = tempDir();
  const wh = await Warehouse.open(join(t.dir, 'crm.duckdb'));
  await seedFixture(wh);
  const roleOf: Record<UserKey, [Role, string | null]> = {
    admin: ['admin', null],
    ops: ['ops', null],
    marketing: ['marketing', null],
    exec: ['exec', null],
    analyst: ['analyst', null],
    emeaAnalyst: ['analyst', 'EMEA'],
    amerMarketing: ['marketing', 'AMER'],
  };
  const tokens = {} as Record<UserKey, string>;
  for (const [key, [role, region]] of Object.entries(roleOf) as [UserKey, [Role, string | null]][]) {
    await addUser(wh, { name: users[key], role, region }, by);
    tokens[key] = (await createToken(wh, { user: users[key] }, by)).token;
  }
  const exportsDir = join(t.dir, 'exports');
  mkdirSync(exportsDir);
  const logs: string[] = [];
  const server = await startServer({
    warehouse: wh,
    port: 0,
    host: '127.0.0.1',
    auth: 'required',
    log: (l) => logs.push(l),
    ...options,
    access: { exportsDir, rateLimit: false, failedAuthLimit: false, jobsFile: join(t.dir, 'no-jobs.json'), ...options.access },
  });
  return {
    wh,
    server,
    url: server.url,
    dir: t.dir,
    exportsDir,
    tokens,
    logs,
    call: (user, path, init = {}) =>
      fetch(`${server.url}${path}`, {
        redirect: 'manual',
        ...init,
        headers: { ...(user ? { authorization: `Bearer ${tokens[user]}` } : {}), ...(init.headers as Record<string, string> | undefined) },
      }),
    close: async () => {
      await server.close();
      await wh.close();
      t.cleanup();
    },
  };
}
