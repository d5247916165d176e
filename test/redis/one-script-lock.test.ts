import type { ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ManualClock } from '../../src/infra/clock.js';
import { keys } from '../../src/infra/redis/scripts.js';
import { hashToken } from '../../src/services/session.service.js';
import { startApp, type TestApp } from '../helpers/app.js';
import { freePort, startRedis, stopRedis } from '../helpers/redis-server.js';
import { testStores } from '../helpers/stores.js';

const store = (await testStores()).find((s) => s.name === 'redis');
const TTL_SECONDS = 120; // the stored expiry may lag by a tenth of this: 12 s

/** Scripts this Redis ran since its counters were last reset. */
async function scriptCalls(r: Redis): Promise<number> {
  const stats = await r.info('commandstats');
  return [...stats.matchAll(/^cmdstat_(?:evalsha|eval):calls=(\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0);
}

// On one Redis (not a Cluster) a lock's session check and its hold are one script: one command, and
// what the check alone did before (refusing ended sessions, moving a lagging expiry) still happens.
describe.runIf(store)('a lock on a single Redis: the session check and the hold in one script', () => {
  let redis: ChildProcess;
  let t: TestApp;
  let r: Redis;
  let clock: ManualClock;
  beforeAll(async () => {
    const port = await freePort();
    redis = await startRedis(port);
    t = await startApp(store!, {
      clock: 'manual',
      env: { REDIS_URL: `redis://127.0.0.1:${port}`, SESSION_TTL_SECONDS: String(TTL_SECONDS) },
    });
    clock = t.clock as ManualClock;
    r = new Redis(`redis://127.0.0.1:${port}`, { keyPrefix: t.config.REDIS_KEY_PREFIX });
  });
  afterAll(async () => {
    r?.disconnect();
    await t?.close();
    if (redis) await stopRedis(redis);
  });

  it('a lock of a session this instance knows is one command to Redis, and it holds', async () => {
    const { eventID, seatIDs } = await t.api.event();
    const [a, b] = [await t.api.session(), await t.api.session()];
    await t.api.post('/api/lock', { eventID, seatIDs: [seatIDs[0]] }, { session: a }); // loads the event
    await r.config('RESETSTAT');
    expect((await t.api.post('/api/lock', { eventID, seatIDs: [seatIDs[1]] }, { session: a })).status).toBe(
      200,
    );
    expect(await scriptCalls(r)).toBe(1);
    const taken = await t.api.post('/api/lock', { eventID, seatIDs: [seatIDs[1]] }, { session: b });
    expect(taken.status).toBe(409);
    expect(taken.body).toMatchObject({ error: 'SEATS_UNAVAILABLE', unavailable: [seatIDs[1]] });
  });

  it('an ended session holds nothing, and a lapsed one neither', async () => {
    const { eventID, seatIDs } = await t.api.event();
    const ended = await t.api.session();
    const lapsed = await t.api.session();
    await t.api.post('/api/lock', { eventID, seatIDs: [seatIDs[0]] }, { session: lapsed });
    expect((await t.api.delete('/api/sessions/current', { session: ended })).status).toBe(204);
    expect(
      (await t.api.post('/api/lock', { eventID, seatIDs: [seatIDs[1]] }, { session: ended })).status,
    ).toBe(401);
    clock.advance(TTL_SECONDS * 1000 + 1);
    expect(
      (await t.api.post('/api/lock', { eventID, seatIDs: [seatIDs[2]] }, { session: lapsed })).status,
    ).toBe(401);
    expect(await r.hmget(keys.holds(eventID), seatIDs[1]!, seatIDs[2]!)).toEqual([null, null]);
  });

  it('a lock past the lag moves the expiry, in the database first, then in Redis', async () => {
    const { eventID, seatIDs } = await t.api.event();
    const sid = await t.api.session();
    const hash = hashToken(sid);
    const stored = async () => ({
      db: (
        await t.container.db.query<{ expires_at: Date }>(
          'SELECT expires_at FROM sessions WHERE token_hash = $1',
          [hash],
        )
      ).rows[0]!.expires_at.getTime(),
      redis: Number(await r.hget(keys.session(hash), 'exp')),
    });
    const created = await stored();
    clock.advance(5_000);
    expect((await t.api.post('/api/lock', { eventID, seatIDs: [seatIDs[0]] }, { session: sid })).status).toBe(
      200,
    );
    expect(await stored()).toEqual(created);
    clock.advance(10_000); // 15 s since the session was written: past the 12 s lag
    expect((await t.api.post('/api/lock', { eventID, seatIDs: [seatIDs[1]] }, { session: sid })).status).toBe(
      200,
    );
    const expected = clock.now().getTime() + TTL_SECONDS * 1000;
    expect(await stored()).toEqual({ db: expected, redis: expected });
  });
});
