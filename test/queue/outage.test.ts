import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type TestApp } from '../helpers/app.js';
import { queueOf } from '../helpers/queue.js';
import { freePort, startRedis, stopRedis } from '../helpers/redis-server.js';
import { testStores } from '../helpers/stores.js';

const store = (await testStores()).find((s) => s.name === 'redis');

describe.runIf(store)('the waiting room while Redis is away', () => {
  let port: number;
  let redis: ChildProcess | undefined;
  const apps: TestApp[] = [];
  beforeAll(async () => {
    port = await freePort();
    redis = await startRedis(port);
  });
  afterAll(async () => {
    for (const t of apps) await t.close();
    if (redis) await stopRedis(redis);
  });
  const start = async (shared?: Record<string, string>) => {
    const t = await startApp(store!, {
      env: { REDIS_URL: `redis://127.0.0.1:${port}` },
      ...(shared && { shared: { env: shared } }),
    });
    apps.push(t);
    return t;
  };

  it('answers 503 with Retry-After, not 500, and nobody passes the gate unchecked', async () => {
    const t = await start();
    const { eventID, seatIDs } = await t.api.event();
    await queueOf(t).open(eventID);
    const sid = await t.api.session();
    await stopRedis(redis!);
    redis = undefined;
    for (const res of [
      await queueOf(t).join(eventID, sid),
      await queueOf(t).status(eventID, sid),
      await t.api.post('/api/lock', { eventID, seatIDs: [seatIDs[0]] }, { session: sid }),
    ]) {
      expect(res.status).toBe(503);
      expect(res.headers['retry-after']).toBeDefined();
    }

    // An instance that starts while Redis is down starts; until it has read which events have a
    // queue, every lock waits for that (503), then the gate works as ever.
    const late = await start(t.dbEnv);
    const refused = await late.api.post('/api/lock', { eventID, seatIDs: [seatIDs[0]] }, { session: sid });
    expect(refused.status).toBe(503);
    // Back, empty (this Redis keeps nothing on disk): the queue is put again.
    redis = await startRedis(port);
    await new Promise((r) => setTimeout(r, 1500));
    const { eventID: free, seatIDs: freeSeats } = await late.api.event();
    await queueOf(late).open(eventID);
    expect(
      (await late.api.post('/api/lock', { eventID, seatIDs: [seatIDs[0]] }, { session: sid })).status,
    ).toBe(403);
    expect(
      (await late.api.post('/api/lock', { eventID: free, seatIDs: [freeSeats[0]] }, { session: sid })).status,
    ).toBe(200);
  });
});
