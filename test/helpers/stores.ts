import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** A database a test file can use and throw away. */
export interface TestStore {
  name: 'pglite' | 'postgres';
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

let cached: TestStore[] | undefined;

/** The stores every contract test runs on. Under CI=true a missing PostgreSQL fails the run, never skips it. */
export async function testStores(): Promise<TestStore[]> {
  if (cached) return cached;
  const list: TestStore[] = [pglite];
  if (await postgresReachable()) list.push(postgres);
  else if (inCi) throw new Error(`CI=true but PostgreSQL is unreachable at ${postgresAdminUrl}`);
  else
    console.warn(
      `PostgreSQL unreachable at ${postgresAdminUrl}: its suites are skipped (they never are under CI=true)`,
    );
  cached = list;
  return list;
}

export const storeNames = (): TestStore['name'][] => ['pglite', 'postgres'];
