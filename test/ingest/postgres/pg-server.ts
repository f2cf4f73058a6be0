/**
 * A throw-away PostgreSQL server for tests and the `postgres` bench scenario: initdb in a temp
 * dir, start on a free 127.0.0.1 port, stop and remove everything afterwards. As root, the
 * server runs as the `postgres` system user (initdb refuses root). The superuser `crm` has a
 * password over TCP (scram-sha-256), so auth failures can be tested; the unix socket trusts.
 *
 * Needs the server binaries of Debian's `postgresql` package (default: the newest
 * /usr/lib/postgresql/<version>/bin, preferring 15; override with CRM_PG_BIN).
 */
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PgServer {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  /** postgres://crm:…@127.0.0.1:PORT/crm */
  url: string;
  dir: string;
  /** The server's log file (useful when a test fails). */
  log: string;
  stop(): void;
}

export function postgresBinDir(): string {
  if (process.env.CRM_PG_BIN) return process.env.CRM_PG_BIN;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))) : [];
  if (!versions.length) throw new Error('PostgreSQL server binaries not found under /usr/lib/postgresql (apt-get install -y postgresql, or set CRM_PG_BIN)');
  const v = versions.includes('15') ? '15' : versions.sort((a, b) => Number(b) - Number(a))[0];
  return join(root, v, 'bin');
}

/** A TCP port nobody listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

const running = new Set<PgServer>();
process.once('exit', () => {
  for (const s of running) s.stop();
});

/**
 * Starts a fresh server. `settings` become `-c name=value` server options.
 *
 * @example
 * const pg = await startPostgres();
 * try { … new pg.Client({ connectionString: pg.url }) … } finally { pg.stop(); }
 */
export async function startPostgres(settings: Record<string, string> = {}): Promise<PgServer> {
  const bin = postgresBinDir();
  const dir = mkdtempSync(join(tmpdir(), 'crm-pg-'));
  const asRoot = process.getuid?.() === 0;
  const run = (cmd: string, args: string[]) => {
    const [file, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', join(bin, cmd), ...args]] : [join(bin, cmd), args];
    return execFileSync(file, argv, { stdio: ['ignore', 'pipe', 'pipe'], cwd: dir });
  };
  const password = 'crm-test-secret';
  const data = join(dir, 'data');
  const log = join(dir, 'server.log');
  try {
    writeFileSync(join(dir, 'pw'), `${password}\n`);
    if (asRoot) {
      const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
      const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
      chownSync(dir, uid, gid);
      chownSync(join(dir, 'pw'), uid, gid);
    }
    run('initdb', ['-D', data, '-U', 'crm', '--pwfile', join(dir, 'pw'), '--auth-local=trust', '--auth-host=scram-sha-256', '--no-sync', '-E', 'UTF8', '--locale=C']);
    rmSync(join(dir, 'pw'));
    const port = await freePort();
    const opts = { listen_addresses: '127.0.0.1', fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off', ...settings };
    const o = [`-p ${port}`, `-k ${dir}`, ...Object.entries(opts).map(([k, v]) => `-c ${k}=${v}`)].join(' ');
    run('pg_ctl', ['-D', data, '-l', log, '-w', '-t', '60', '-o', o, 'start']);
    const server: PgServer = {
      host: '127.0.0.1',
      port,
      user: 'crm',
      password,
      database: 'postgres',
      url: `postgres://crm:${password}@127.0.0.1:${port}/postgres`,
      dir,
      log,
      stop() {
        if (!running.delete(server)) return;
        try {
          run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
        } catch {
          // already down
        }
        rmSync(dir, { recursive: true, force: true });
      },
    };
    running.add(server);
    return server;
  } catch (e) {
    const err = e as Error & { stderr?: Buffer };
    const logText = existsSync(log) ? execFileSync('tail', ['-n', '20', log]).toString() : '';
    try {
      run('pg_ctl', ['-D', data, '-m', 'immediate', 'stop']);
    } catch {
      // never started
    }
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`could not start a test PostgreSQL server: ${err.message}\n${err.stderr?.toString() ?? ''}\n${logText}`);
  }
}
