import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeRedis, connectRedis, type RedisClient } from '../../src/infra/redis/client.js';
import { deleteKeys, redisTestUrl, testStores } from '../helpers/stores.js';

const store = (await testStores()).find((s) => s.name === 'redis');

/** Counts the socket writes the client makes (each is one system call on the socket). */
function countWrites(socket: Socket): { count: () => number; stop: () => void } {
  const raw = socket as unknown as Record<'_write' | '_writev', (...args: unknown[]) => void>;
  const original = { _write: raw._write, _writev: raw._writev };
  let writes = 0;
  for (const name of ['_write', '_writev'] as const) {
    raw[name] = (...args: unknown[]) => {
      writes++;
      original[name].apply(socket, args);
    };
  }
  return {
    count: () => writes,
    stop: () => Object.assign(raw, original),
  };
}

describe.runIf(store)('the Redis client writes the commands of one turn of the event loop at once', () => {
  const prefix = `test:${randomBytes(6).toString('hex')}:`;
  let redis: RedisClient;
  beforeAll(async () => {
    redis = await connectRedis({ url: redisTestUrl }, prefix);
  });
  afterAll(async () => {
    if (redis) await closeRedis(redis);
    await deleteKeys(redisTestUrl, prefix);
  });

  it('sends 50 commands issued together in one write, each answered in order', async () => {
    const writes = countWrites((redis as Redis).stream);
    try {
      const replies = await Promise.all(Array.from({ length: 50 }, () => redis.incr('counter')));
      expect(replies).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
      expect(writes.count()).toBe(1);
    } finally {
      writes.stop();
    }
  });

  it('answers commands issued one after another, each in a turn of its own', async () => {
    const writes = countWrites((redis as Redis).stream);
    try {
      for (let i = 1; i <= 20; i++) expect(await redis.incr('one-by-one')).toBe(i);
      expect(writes.count()).toBe(20);
      // Issued from inside a reply's callback (a later turn) while that turn's batch was written.
      const nested = await redis.set('a', '1').then(() => Promise.all([redis.get('a'), redis.incr('a')]));
      expect(nested).toEqual(['1', 2]);
    } finally {
      writes.stop();
    }
  });
});
