import { randomBytes } from 'node:crypto';
import { Cluster, Redis } from 'ioredis';
import { inject } from 'vitest';
import pg from 'pg';

/** A database a test file can use and throw away. */
export interface TestStore {
  /**
   * `redis`: a database (PostgreSQL, or PGlite without one) with the holds in Redis; `redis-cluster`: the
   * same on a Redis Cluster. `pgbouncer`: PostgreSQL through PgBouncer in transaction mode, with a direct
   * connection for LISTEN and migrations.
   */
  name: 'pglite' | 'postgres' | 'redis' | 'redis-cluster' | 'pgbouncer';
  /** Makes a fresh, empty database; returns the config that points at it. */
  create(): Promise<{ env: Record<string, string>; drop(): Promise<void> }>;
}

const inCi = process.env.CI === 'true';
// Tests default to the PostgreSQL a developer machine runs on loopback; CI passes DATABASE_URL.
export const postgresAdminUrl =
  process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const pglite: TestStore = {
  name: 'pglite',
  create: () => Promise.resolve({ env: { DATA_DIR: 'memory://' }, drop: () => Promise.resolve() }),
};

const postgres: TestStore = {
  name: 'postgres',
  async create() {
    const dbName = `seats_test_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: postgresAdminUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${dbName}`);
    await admin.end();
    const url = new URL(postgresAdminUrl);
    url.pathname = `/${dbName}`;
    return {
      env: { DATABASE_URL: url.toString() },
      async drop() {
        const c = new pg.Client({ connectionString: postgresAdminUrl });
        await c.connect();
        await c.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
        await c.end();
      },
    };
  },
};

async function postgresReachable(): Promise<boolean> {
  const c = new pg.Client({ connectionString: postgresAdminUrl, connectionTimeoutMillis: 2000 });
  try {
    await c.connect();
    await c.end();
    return true;
  } catch {
    return false;
  }
}

// CI runs a Redis on loopback; each database made gets its own key prefix, so runs never collide.
export const redisTestUrl = process.env.TEST_REDIS_URL ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

const redisHolds = (db: TestStore): TestStore => ({
  name: 'redis',
  async create() {
    const made = await db.create();
    const prefix = `test:${randomBytes(6).toString('hex')}:`;
    return {
      env: { ...made.env, REDIS_URL: redisTestUrl, REDIS_KEY_PREFIX: prefix },
      async drop() {
        await made.drop();
        await deleteKeys(redisTestUrl, prefix);
      },
    };
  },
});

/** Deletes every key under `prefix` (SCAN, so a large keyspace is never blocked). */
export async function deleteKeys(url: string, prefix: string): Promise<void> {
  const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await r.connect();
    for await (const batch of r.scanStream({ match: `${prefix}*`, count: 500 }))
      if ((batch as string[]).length > 0) await r.unlink(...(batch as string[]));
  } finally {
    r.disconnect();
  }
}

export async function redisReachable(url = redisTestUrl): Promise<boolean> {
  const r = new Redis(url, { lazyConnect: true, connectTimeout: 2000, retryStrategy: () => null });
  r.on('error', () => undefined);
  try {
    await r.connect();
    return (await r.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    r.disconnect();
  }
}

let cached: TestStore[] | undefined;

/**
 * The stores every contract test runs on. Under CI=true a missing PostgreSQL or Redis fails the run,
 * never skips it.
 */
export async function testStores(): Promise<TestStore[]> {
  if (cached) return cached;
  const list: TestStore[] = [pglite];
  if (await postgresReachable()) list.push(postgres);
  else if (inCi) throw new Error(`CI=true but PostgreSQL is unreachable at ${postgresAdminUrl}`);
  else
    console.warn(
      `PostgreSQL unreachable at ${postgresAdminUrl}: its suites are skipped (they never are under CI=true)`,
    );
  if (await redisReachable()) list.push(redisHolds(list.includes(postgres) ? postgres : pglite));
  else if (inCi) throw new Error(`CI=true but Redis is unreachable at ${redisTestUrl}`);
  else
    console.warn(
      `Redis unreachable at ${redisTestUrl}: its suites are skipped (they never are under CI=true)`,
    );
  cached = list;
  return list;
}

export const storeNames = (): TestStore['name'][] => ['pglite', 'postgres', 'redis'];

/**
 * PostgreSQL through the run's PgBouncer (test/setup/pgbouncer.ts); `direct: false` leaves out
 * DATABASE_DIRECT_URL, as a deployment that forgot it would. Undefined without PostgreSQL or PgBouncer
 * (under CI=true both are required, and their absence has already failed the run).
 */
export async function pgbouncerStore(
  o: { direct: boolean } = { direct: true },
): Promise<TestStore | undefined> {
  const port = inject('pgbouncerPort');
  if (!port || !(await testStores()).includes(postgres)) return undefined;
  return {
    name: 'pgbouncer',
    async create() {
      const made = await postgres.create();
      const direct = made.env.DATABASE_URL!;
      const pooled = new URL(direct);
      pooled.hostname = '127.0.0.1';
      pooled.port = String(port);
      return {
        env: { DATABASE_URL: pooled.toString(), ...(o.direct && { DATABASE_DIRECT_URL: direct }) },
        drop: () => made.drop(),
      };
    },
  };
}

/**
 * The stores plus the engines users scale out on: holds on a 3-master Redis Cluster (started once per run
 * by test/setup/redis-cluster.ts), and PostgreSQL through PgBouncer in transaction mode (started by
 * test/setup/pgbouncer.ts). For the contract, race and live-map suites.
 */
export async function engineStores(): Promise<TestStore[]> {
  const stores = await testStores();
  const nodes = inject('redisClusterNodes');
  const db = stores.find((s) => s.name === 'postgres') ?? pglite;
  const bouncer = await pgbouncerStore();
  return [...stores, ...(nodes ? [redisClusterHolds(nodes, db)] : []), ...(bouncer ? [bouncer] : [])];
}

const redisClusterHolds = (nodes: string, db: TestStore): TestStore => ({
  name: 'redis-cluster',
  async create() {
    const made = await db.create();
    const prefix = `test:${randomBytes(6).toString('hex')}:`;
    return {
      env: { ...made.env, REDIS_CLUSTER_NODES: nodes, REDIS_KEY_PREFIX: prefix },
      async drop() {
        await made.drop();
        const cluster = new Cluster(
          nodes.split(',').map((n) => ({ host: n.split(':')[0]!, port: Number(n.split(':')[1]) })),
        );
        try {
          await new Promise((ready) => cluster.once('ready', ready));
          for (const node of cluster.nodes('master'))
            for await (const batch of node.scanStream({ match: `${prefix}*`, count: 500 }))
              for (const key of batch as string[]) await node.unlink(key);
        } finally {
          cluster.disconnect();
        }
      },
    };
  },
});
