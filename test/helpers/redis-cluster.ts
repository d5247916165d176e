import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { freePort } from './redis-server.js';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface RedisClusterHandle {
  /** `host:port,…` of every node, as REDIS_CLUSTER_NODES takes it. */
  nodes: string;
  ports: number[];
  /** The node process on a port (to kill it for a failover). */
  processOn(port: number): ChildProcess;
  /** Ports of the masters now, as the cluster sees them. */
  masters(): Promise<number[]>;
  stop(): Promise<void>;
}

/**
 * A real Redis Cluster on loopback, from Debian's redis-server and redis-cli: `masters` masters with
 * `replicas` replicas each, on free ports, data in a temp dir, no persistence. For tests only.
 */
export async function startRedisCluster(o: {
  masters: number;
  replicas: number;
}): Promise<RedisClusterHandle> {
  const dir = mkdtempSync(join(tmpdir(), 'redis-cluster-'));
  const count = o.masters * (1 + o.replicas);
  const ports: number[] = [];
  const children = new Map<number, ChildProcess>();
  const stop = async () => {
    for (const child of children.values()) if (child.exitCode === null) child.kill('SIGKILL');
    await sleep(50);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < count; i++) {
      const { port, child } = await startNode(dir, ports);
      ports.push(port);
      children.set(port, child);
    }
    await run('redis-cli', [
      '--cluster',
      'create',
      ...ports.map((p) => `127.0.0.1:${p}`),
      '--cluster-replicas',
      String(o.replicas),
      '--cluster-yes',
    ]);
    for (const port of ports) await waitFor(() => clusterOk(port), `cluster state ok on ${port}`);
    // A replica that has not synced yet would never be promoted: wait until each one is.
    for (const port of ports) await waitFor(() => replicaSynced(port), `replication on ${port}`);
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    nodes: ports.map((p) => `127.0.0.1:${p}`).join(','),
    ports,
    processOn: (port) => children.get(port)!,
    async masters() {
      const alive = ports.filter(
        (p) => children.get(p)!.exitCode === null && children.get(p)!.signalCode === null,
      );
      const { stdout } = await run('redis-cli', ['-p', String(alive[0]), 'cluster', 'nodes']);
      // Lines: <id> <host:port@bus-port> <flags,…> …
      return stdout
        .split('\n')
        .map((l) => l.split(' '))
        .filter(([, , flags]) => flags?.split(',').includes('master') && !flags.includes('fail'))
        .map(([, address]) => Number(address!.split('@')[0]!.split(':')[1]));
    },
    stop,
  };
}

/**
 * One cluster node, answering. A node binds its port and its cluster bus port (the port + 10,000); between
 * picking a free port and the node's start another process may take either, and then the node exits at
 * once: it is started again on other ports.
 */
async function startNode(
  dir: string,
  taken: readonly number[],
): Promise<{ port: number; child: ChildProcess }> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    if (port + 10_000 > 65_535 || taken.includes(port)) continue;
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        `nodes-${port}.conf`,
        '--cluster-node-timeout',
        '1500',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        dir,
      ],
      { stdio: 'ignore' },
    );
    const exited = () => child.exitCode !== null || child.signalCode !== null;
    await waitFor(async () => exited() || (await ping(port)), `redis-server on ${port}`);
    if (!exited()) return { port, child };
    if (attempt >= 5) throw new Error(`redis-server exited at start ${attempt} times (ports taken?)`);
  }
}

async function waitFor(check: () => Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not ready within ${ms} ms`);
    await sleep(100);
  }
}

async function ping(port: number): Promise<boolean> {
  return (await info(port, (r) => r.ping())) === 'PONG';
}

async function clusterOk(port: number): Promise<boolean> {
  const text = await info(port, (r) => r.cluster('INFO'));
  return typeof text === 'string' && text.includes('cluster_state:ok');
}

async function replicaSynced(port: number): Promise<boolean> {
  const text = await info(port, (r) => r.info('replication'));
  return typeof text === 'string' && (text.includes('role:master') || text.includes('master_link_status:up'));
}

async function info<T>(port: number, ask: (r: Redis) => Promise<T>): Promise<T | null> {
  const r = new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null });
  r.on('error', () => undefined);
  try {
    await r.connect();
    return await ask(r);
  } catch {
    return null;
  } finally {
    r.disconnect();
  }
}
