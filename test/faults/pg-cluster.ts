import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { postgresOwner } from '../helpers/postgres-user.js';
import { freePort } from '../helpers/server-process.js';

const exec = promisify(execFile);

/** The folder holding initdb and pg_ctl: PG_BIN, else the newest /usr/lib/postgresql/<n>/bin, else none. */
export function postgresBinaries(): string | undefined {
  const candidates = process.env.PG_BIN ? [process.env.PG_BIN] : [];
  const root = '/usr/lib/postgresql';
  if (existsSync(root))
    candidates.push(
      ...readdirSync(root)
        .sort((a, b) => Number(b) - Number(a))
        .map((v) => join(root, v, 'bin')),
    );
  return candidates.find((dir) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl')));
}

/**
 * Whether the fault tests that need their own PostgreSQL server can run here. Under CI=true a missing
 * installation is an error (the suite fails), never a skip.
 */
export function requirePostgresBinaries(): string | undefined {
  const bin = postgresBinaries();
  if (bin) return bin;
  const message = 'PostgreSQL server binaries (initdb, pg_ctl) not found; set PG_BIN to their folder';
  if (process.env.CI === 'true') throw new Error(`CI=true: ${message}`);
  console.warn(`${message}: the PostgreSQL outage test is skipped (it never is under CI=true)`);
  return undefined;
}

/**
 * A throwaway PostgreSQL server of our own (initdb in a temp folder, its own port, trust auth on
 * loopback), so a test can kill it and bring it back while the shared one stays up for everyone else.
 */
export class PgCluster {
  private running = false;
  private frozen = false;

  private constructor(
    private readonly bin: string,
    private readonly dir: string,
    readonly port: number,
  ) {}

  /** `postgres://postgres@127.0.0.1:<port>/seats` */
  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/seats`;
  }

  static async create(bin: string): Promise<PgCluster> {
    const dir = mkdtempSync(join(tmpdir(), 'seats-pg-'));
    // initdb refuses to run as root: the cluster belongs to the postgres user then.
    const owner = postgresOwner();
    if (owner) chownSync(dir, owner.uid, owner.gid);
    const cluster = new PgCluster(bin, dir, await freePort());
    try {
      await cluster.run('initdb', [
        '-D',
        cluster.data,
        '-A',
        'trust',
        '-U',
        'postgres',
        '-E',
        'UTF8',
        '--no-sync',
      ]);
      await cluster.start();
      const admin = new pg.Client({ connectionString: cluster.url.replace(/\/seats$/, '/postgres') });
      await admin.connect();
      await admin.query('CREATE DATABASE seats');
      await admin.end();
      return cluster;
    } catch (e) {
      await cluster.destroy();
      throw e;
    }
  }

  private get data() {
    return join(this.dir, 'data');
  }

  async start(): Promise<void> {
    const options = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c max_connections=100`;
    await this.run('pg_ctl', [
      '-D',
      this.data,
      '-o',
      options,
      '-l',
      join(this.dir, 'log'),
      '-w',
      '-t',
      '30',
      'start',
    ]);
    this.running = true;
  }

  /** `immediate` is a crash as far as clients and recovery are concerned: no goodbye, no checkpoint. */
  async stop(mode: 'immediate' | 'fast' = 'immediate'): Promise<void> {
    await this.run('pg_ctl', ['-D', this.data, '-m', mode, '-w', '-t', '30', 'stop']);
    this.running = false;
  }

  /**
   * Freezes the server (SIGSTOP to the postmaster and every backend): it keeps its sockets open but answers
   * nothing, like a hung host or a network partition. Only client-side timeouts can get a caller out.
   */
  freeze(): void {
    this.frozen = true;
    for (const pid of this.processes()) process.kill(pid, 'SIGSTOP');
  }

  thaw(): void {
    for (const pid of this.processes().reverse()) process.kill(pid, 'SIGCONT');
    this.frozen = false;
  }

  /** The postmaster, then its children. */
  private processes(): number[] {
    const postmaster = Number(readFileSync(join(this.data, 'postmaster.pid'), 'utf8').split('\n')[0]);
    const children = readdirSync('/proc')
      .filter((d) => /^\d+$/.test(d))
      .filter((d) => {
        try {
          // Field 4 of /proc/<pid>/stat is the parent; the name before it is in parentheses.
          return Number(readFileSync(`/proc/${d}/stat`, 'utf8').split(') ')[1]?.split(' ')[1]) === postmaster;
        } catch {
          return false; // gone in the meantime
        }
      })
      .map(Number);
    return [postmaster, ...children];
  }

  log(): string {
    try {
      return readFileSync(join(this.dir, 'log'), 'utf8');
    } catch {
      return '';
    }
  }

  /** Stops the server if it runs and removes every file it had. Safe to call twice. */
  async destroy(): Promise<void> {
    if (this.frozen) this.thaw();
    if (this.running) await this.stop().catch(() => undefined);
    // A half-started server may have left a postmaster behind without our knowing: ask pg_ctl.
    if (existsSync(join(this.data, 'postmaster.pid'))) await this.stop().catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async run(tool: string, args: string[]): Promise<void> {
    const path = join(this.bin, tool);
    const [cmd, argv] =
      userInfo().uid === 0 ? ['runuser', ['-u', 'postgres', '--', path, ...args]] : [path, args];
    try {
      await exec(cmd, argv, { timeout: 60_000 });
    } catch (e) {
      const err = e as { stderr?: string; stdout?: string; message: string };
      throw new Error(`${tool} ${args.at(-1)} failed: ${err.message}\n${err.stderr ?? ''}\n${this.log()}`);
    }
  }
}
