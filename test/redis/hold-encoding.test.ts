import type { ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys } from '../../src/infra/redis/scripts.js';
import { startApp, type TestApp } from '../helpers/app.js';
import { freePort, startRedis, stopRedis } from '../helpers/redis-server.js';
import { testStores } from '../helpers/stores.js';

const store = (await testStores()).find((s) => s.name === 'redis');

// A Redis hash of few short fields is kept compact (a listpack), where every field looked up is a scan
// of them all: an on-sale event's holds must be a hash table however few seats are held yet.
describe.runIf(store)("an event's holds in Redis", () => {
  let redis: ChildProcess;
  let t: TestApp;
  let r: Redis;
  beforeAll(async () => {
    const port = await freePort();
    redis = await startRedis(port);
    t = await startApp(store!, { env: { REDIS_URL: `redis://127.0.0.1:${port}` } });
    r = new Redis(`redis://127.0.0.1:${port}`, { keyPrefix: t.config.REDIS_KEY_PREFIX });
  });
  afterAll(async () => {
    r?.disconnect();
    await t?.close();
    if (redis) await stopRedis(redis);
  });

  it('are a hash table from the first lock, and again after Redis lost them', async () => {
    const { eventID, seatIDs } = await t.api.event();
    const session = await t.api.session();
    const lock = (i: number) => t.api.post('/api/lock', { eventID, seatIDs: [seatIDs[i]] }, { session });
    expect((await lock(0)).status).toBe(200);
    expect(await r.object('ENCODING', keys.holds(eventID))).toBe('hashtable');
    await r.flushall();
    expect((await lock(1)).status).toBe(200);
    expect(await r.object('ENCODING', keys.holds(eventID))).toBe('hashtable');
    expect(await r.hlen(keys.holds(eventID))).toBe(2); // the seat, and the mark that the event is loaded
  });
});
