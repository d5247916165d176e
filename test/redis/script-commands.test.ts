import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineScripts } from '../../src/infra/redis/script-commands.js';
import { freePort, startRedis, stopRedis } from '../helpers/redis-server.js';
import { testStores } from '../helpers/stores.js';

const store = (await testStores()).find((s) => s.name === 'redis');

const PUT = "redis.call('SET', KEYS[1], ARGV[1]) return KEYS[1]";
const sha1 = (lua: string) => createHash('sha1').update(lua).digest('hex');

type Scripts = {
  put(key: string, value: string): Promise<string>;
  /** The key count comes first: as `holdAcquire` takes it. */
  putN(keys: number, ...keysAndArgs: string[]): Promise<string[]>;
  fail(key: string): Promise<never>;
};

// A Redis of its own: the test flushes its scripts, which the shared one's other clients would notice.
describe.runIf(store)('scripts as client methods (EVALSHA, EVAL when Redis lost them)', () => {
  let server: ChildProcess;
  let redis: Redis & Scripts;
  let plain: Redis;
  beforeAll(async () => {
    const port = await freePort();
    server = await startRedis(port);
    plain = new Redis(port, '127.0.0.1');
    redis = new Redis(port, '127.0.0.1', { keyPrefix: 'p:', enableAutoPipelining: true }) as Redis & Scripts;
    defineScripts(redis, [
      ['put', 1, PUT],
      ['putN', null, "for i = 1, #KEYS do redis.call('SET', KEYS[i], ARGV[1]) end return KEYS"],
      ['fail', 1, "return redis.error_reply('NOPE ' .. KEYS[1])"],
    ]);
  });
  afterAll(async () => {
    redis?.disconnect();
    plain?.disconnect();
    if (server) await stopRedis(server);
  });

  it('runs with the key prefix, loads itself after SCRIPT FLUSH, and passes script errors through', async () => {
    await plain.script('FLUSH');
    // Not known to Redis: EVAL runs it (and loads it); the next calls find it by SHA.
    expect(await redis.put('a', '1')).toBe('p:a');
    expect(await plain.script('EXISTS', sha1(PUT))).toEqual([1]);
    const many = await Promise.all(Array.from({ length: 20 }, (_, i) => redis.put(`k${i}`, String(i))));
    expect(many).toEqual(Array.from({ length: 20 }, (_, i) => `p:k${i}`));
    expect(await plain.mget('p:a', 'p:k7')).toEqual(['1', '7']);

    // The key count as the first argument.
    expect(await redis.putN(2, 'x', 'y', 'v')).toEqual(['p:x', 'p:y']);
    expect(await plain.mget('p:x', 'p:y')).toEqual(['v', 'v']);

    await plain.script('FLUSH');
    // Many calls in one batch, all after the flush: each still answers.
    const again = await Promise.all([redis.put('b', '2'), redis.putN(1, 'z', 'w'), redis.put('c', '3')]);
    expect(again).toEqual(['p:b', ['p:z'], 'p:c']);
    expect(await plain.mget('p:b', 'p:z', 'p:c')).toEqual(['2', 'w', '3']);

    await expect(redis.fail('q')).rejects.toThrow(/NOPE p:q/);
  });
});
