import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { postgresOwner } from './postgres-user.js';
import { freePort } from './server-process.js';

/** PGBOUNCER_BIN, else Debian's /usr/sbin/pgbouncer, else one on PATH. */
export function pgbouncerBinary(): string | undefined {
  const dirs = ['/usr/sbin', ...(process.env.PATH ?? '').split(delimiter)];
  const candidates = [process.env.PGBOUNCER_BIN, ...dirs.map((d) => join(d, 'pgbouncer'))];
  return candidates.find((p): p is string => !!p && existsSync(p));
}

export interface Pgbouncer {
  port: number;
  log(): string;
  stop(): Promise<void>;
}

/**
 * A PgBouncer of our own in transaction mode (how managed PostgreSQL pools connections) on a free
 * loopback port, in front of the PostgreSQL of `serverUrl`, any database, trusting loopback. Its
 * configuration and log live in a temp folder, removed on stop.
 */
export async function startPgbouncer(bin: string, serverUrl: string): Promise<Pgbouncer> {
  const server = new URL(serverUrl);
  const user = decodeURIComponent(server.username) || 'postgres';
  const dir = mkdtempSync(join(tmpdir(), 'seats-pgbouncer-'));
  const port = await freePort();
  const ini = join(dir, 'pgbouncer.ini');
  writeFileSync(join(dir, 'users.txt'), `"${user}" ""\n`);
  writeFileSync(
    ini,
    [
      '[databases]',
      `* = host=${server.hostname} port=${server.port || 5432}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = trust',
      `auth_file = ${join(dir, 'users.txt')}`,
      'pool_mode = transaction',
      'max_client_conn = 1000',
      'default_pool_size = 20',
      `logfile = ${join(dir, 'pgbouncer.log')}`,
      '',
    ].join('\n'),
  );
  // PgBouncer refuses to run as root.
  const owner = postgresOwner();
  if (owner) chownSync(dir, owner.uid, owner.gid);
  const child: ChildProcess = spawn(bin, [ini], { stdio: 'ignore', ...owner });
  const log = () => {
    try {
      return readFileSync(join(dir, 'pgbouncer.log'), 'utf8');
    } catch {
      return '';
    }
  };
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = once(child, 'exit');
      child.kill('SIGINT');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 10_000;
  while (!(await accepts(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      const output = log();
      await stop();
      throw new Error(`pgbouncer did not start on port ${port}:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    log,
    stop,
  };
}

const accepts = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
