import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys } from '../../src/infra/redis/scripts.js';
import { startApp, type TestApp } from '../helpers/app.js';
import { startRedisCluster, type RedisClusterHandle } from '../helpers/redis-cluster.js';
import { testStores } from '../helpers/stores.js';

const stores = await testStores();
const db = stores.find((s) => s.name === 'postgres');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The port of the master serving a key's slot now. */
async function masterOf(cluster: RedisClusterHandle, key: string): Promise<number> {
  const masters = await cluster.masters();
  const r = new Redis({ port: masters[0], host: '127.0.0.1' });
  try {
    const slot = await r.cluster('KEYSLOT', key);
    const ranges = await r.cluster('SLOTS');
    const owner = ranges.find(([from, to]) => slot >= from && slot <= to);
    return owner![2]![1];
  } finally {
    r.disconnect();
  }
}

// A cluster of its own (3 masters, a replica each): killing a master of the shared one would fail others.
describe.runIf(db)('a Redis Cluster master fails over in the middle of an on-sale', () => {
  let cluster: RedisClusterHandle;
  let t: TestApp;
  beforeAll(async () => {
    cluster = await startRedisCluster({ masters: 3, replicas: 1 });
    t = await startApp(db!, { env: { REDIS_CLUSTER_NODES: cluster.nodes, MAX_SEATS_PER_SESSION: '4' } });
  });
  afterAll(async () => {
    await t?.close();
    await cluster?.stop();
  });

  it('answers 503 for a few seconds, then recovers; no seat is sold twice', async () => {
    const { eventID, seatIDs } = await t.api.event({ rows: 10, seatsPerRow: 20, price: 100 });
    const customerID = await t.api.customer();
    const statuses = new Map<number, number>();
    const acknowledged: string[] = [];
    let killedAt = 0;
    let failingSince = 0; // the first 503 after the kill
    let recoveredAt = 0; // the first lock sent after that which succeeded
    let stop = false;

    const buyer = async (n: number) => {
      let sid = await t.api.session();
      for (let i = 0; !stop; i++) {
        const seats = [
          seatIDs[(n * 37 + i * 11) % seatIDs.length]!,
          seatIDs[(n * 53 + i * 7) % seatIDs.length]!,
        ];
        const sentAt = Date.now();
        const lock = await t.api.post(
          '/api/lock',
          { eventID, seatIDs: [...new Set(seats)] },
          { session: sid },
        );
        statuses.set(lock.status, (statuses.get(lock.status) ?? 0) + 1);
        if (killedAt && !failingSince && lock.status === 503) failingSince = Date.now();
        if (failingSince && !recoveredAt && lock.status === 200 && sentAt > failingSince)
          recoveredAt = Date.now();
        if (lock.status === 401) sid = await t.api.session();
        if (lock.status !== 200) continue;
        const sale = await t.api.post(
          '/api/confirm',
          { eventID, customerID, payment: { token: 'tok_ok' } },
          { session: sid },
        );
        statuses.set(sale.status, (statuses.get(sale.status) ?? 0) + 1);
        if (sale.status === 201) acknowledged.push(...(sale.body.reservation.seatIDs as string[]));
      }
    };
    const buyers = Array.from({ length: 12 }, (_, n) => buyer(n));
    await sleep(1000);
    const port = await masterOf(cluster, keys.holds(eventID));
    cluster.processOn(port).kill('SIGKILL');
    killedAt = Date.now();
    const deadline = killedAt + 30_000;
    while (!recoveredAt && Date.now() < deadline) await sleep(100);
    await sleep(1000);
    stop = true;
    await Promise.all(buyers);

    const outcome = Object.fromEntries(statuses);
    console.log(
      `failover: master on ${port} killed; 503s from ${failingSince - killedAt} ms, first lock again after ` +
        `${recoveredAt ? recoveredAt - killedAt : 'never'} ms; answers ${JSON.stringify(outcome)}`,
    );
    expect(recoveredAt, 'locks work again after the failover').toBeGreaterThan(0);
    expect(recoveredAt - killedAt).toBeLessThan(30_000);
    // Only definite answers: a lost Redis is a 503, never a 500.
    expect(
      Object.keys(outcome)
        .map(Number)
        .filter((s) => ![200, 201, 401, 409, 422, 503].includes(s)),
    ).toEqual([]);
    expect(outcome[503] ?? 0).toBeGreaterThan(0);
    // The database has each seat in one reservation at most, and every acknowledged sale is there.
    const dup = await t.container.db.query(
      'SELECT seat_id FROM reservation_seats GROUP BY seat_id HAVING count(*) > 1',
    );
    expect(dup.rows).toEqual([]);
    expect(new Set(acknowledged).size).toBe(acknowledged.length);
    const sold = (
      await t.container.db.query<{ id: string }>(`SELECT id FROM seats WHERE status = 'confirmed'`)
    ).rows;
    expect(sold.map((r) => r.id).sort()).toEqual([...acknowledged].sort());
  });
});
