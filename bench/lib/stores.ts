import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { checkPglite, checkPostgres, type InvariantReport } from './invariants.js';
import { createScratchDb, dbUrl, dropScratchDb } from './pg.js';
import { holdsInRedis, type StoreName } from './plan.js';
import { dropRedisKeys } from './redis-keys.js';

export interface StoreDb {
  env: Record<string, string>;
  instances: number;
  check(acknowledged: readonly string[]): Promise<InvariantReport>;
  drop(): Promise<void>;
}

/** A fresh database for one store's run, and how to check and remove it afterwards. */
export async function openStore(store: StoreName, tmp: string, redisUrl: string): Promise<StoreDb> {
  if (store === 'pglite') {
    const dir = join(tmp, `pglite-${randomBytes(4).toString('hex')}`);
    return {
      env: { DATA_DIR: dir },
      instances: 1,
      check: (ack) => checkPglite(dir, ack),
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const name = await createScratchDb();
  const url = dbUrl(name);
  // Our own key prefix, so that the run neither sees nor leaves keys among anyone else's.
  const prefix = `${name}:`;
  const redis = holdsInRedis(store);
  return {
    env: {
      DATABASE_URL: url,
      ...(redis ? { REDIS_URL: redisUrl, REDIS_KEY_PREFIX: prefix } : {}),
    },
    instances: store.endsWith('-2x') ? 2 : 1,
    check: (ack) => checkPostgres(url, ack),
    drop: async () => {
      await dropScratchDb(name);
      if (redis) await dropRedisKeys(redisUrl, prefix);
    },
  };
}
