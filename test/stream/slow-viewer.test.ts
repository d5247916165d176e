import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testStores } from '../helpers/stores.js';
import { liveApp, setupEvent, SseClient, type LiveApp } from './helpers.js';

const [pglite] = await testStores();

describe('a viewer that stops reading', () => {
  let t: LiveApp;
  beforeAll(async () => {
    t = await liveApp(pglite!, {
      env: { MAX_SEATS_PER_SESSION: '100' },
      stream: { maxBufferedBytes: 64 * 1024 },
    });
  });
  afterAll(() => t.close());

  it('is dropped, while bookings and the other viewers go on at full speed', async () => {
    const { eventID, seatIDs, session } = await setupEvent(t, { rows: 10, seatsPerRow: 100, price: 1000 });
    const fast = await SseClient.open(`${t.base}/api/events/${eventID}/stream`);
    await fast.until(() => fast.messages.length === 1);

    // A raw socket that asks for the stream and never reads: the kernel's buffers (a few MB on
    // loopback) fill first, then the server's own, past the bound.
    const slow = net.connect(Number(new URL(t.base).port), '127.0.0.1');
    let slowClosed = false;
    slow.on('close', () => (slowClosed = true));
    slow.on('error', () => undefined);
    slow.write(`GET /api/events/${eventID}/stream HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n`);
    slow.pause();
    await fast.until(() => t.container.services.feed.stats().viewers === 2);

    // Each round holds then releases 100 seats: two messages of about 8 KB each.
    const sid = await session();
    const rows = [0, 1, 2, 3, 4].map((r) => seatIDs.slice(r * 100, r * 100 + 100));
    const latencies: number[] = [];
    let rounds = 0;
    const droppedCount = async () => (await t.metrics.streamDropped.get()).values[0]?.value ?? 0;
    while ((await droppedCount()) === 0 && rounds < 600) {
      const row = rows[rounds % rows.length]!;
      const started = performance.now();
      const lock = await t.call('POST', '/api/lock', { body: { eventID, seatIDs: row }, session: sid });
      const free = await t.call('POST', '/api/cancel-lock', { body: { eventID }, session: sid });
      latencies.push(performance.now() - started);
      expect([lock.status, free.status]).toEqual([200, 200]);
      rounds++;
    }
    expect(await droppedCount()).toBe(1);
    expect(t.container.services.feed.stats().viewers).toBe(1);

    // The fast viewer saw every change through to the end.
    const last = rows[(rounds - 1) % rows.length]!;
    await fast.until(() => last.every((id) => fast.state.get(id)?.status === 'available'));
    expect(fast.ended).toBe(false);
    // Bookings never waited on the stuck viewer: no round took long, even as its buffers filled.
    latencies.sort((x, y) => x - y);
    expect(latencies[Math.floor(latencies.length * 0.99)]!).toBeLessThan(1000);

    // The dropped viewer's connection is closed by the server: it would reconnect and resync.
    slow.resume();
    await fast.until(() => slowClosed, 5000, 'the slow socket to be closed');
    fast.close();
  });
});
