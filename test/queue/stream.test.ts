import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type TestApp } from '../helpers/app.js';
import { queueOf } from '../helpers/queue.js';
import { testStores } from '../helpers/stores.js';
import { SseClient } from '../stream/helpers.js';

const stores = await testStores();

async function listening(t: TestApp): Promise<string> {
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
}

const ofType = (c: SseClient, type: string) =>
  c.messages.map((m) => m.data as any).filter((d) => d.type === type);
const last = (c: SseClient, type: string) => ofType(c, type).at(-1);

describe.each(stores.map((s) => [s.name, s] as const))('the queue stream on %s', (_name, store) => {
  let t: TestApp;
  let base: string;
  let q: ReturnType<typeof queueOf>;
  const clients: SseClient[] = [];
  beforeAll(async () => {
    t = await startApp(store, { clock: 'manual', queue: { timers: false } });
    base = await listening(t);
    q = queueOf(t);
  });
  afterAll(async () => {
    clients.forEach((c) => c.close());
    await t.close();
  });

  const watch = async (eventID: string, session?: string) => {
    const c = await SseClient.open(
      `${base}/api/events/${eventID}/queue/stream`,
      session ? { 'x-session-id': session } : {},
    );
    clients.push(c);
    return c;
  };

  it('answers 401 without a session and 404 (as JSON) before joining', async () => {
    const { eventID } = await t.api.event();
    await q.open(eventID);
    const anonymous = await watch(eventID);
    expect(anonymous.status).toBe(401);
    const stranger = await watch(eventID, await t.api.session());
    expect(stranger.status).toBe(404);
    expect(stranger.headers['content-type']).toContain('application/json');
  });

  it('tells the place: no rank before the opening, the rank when drawn, progress, then the admission', async () => {
    const { eventID } = await t.api.event();
    await q.open(eventID, { opensInMs: 5000, admitPerMinute: 60, admissionSeconds: 90 });
    const sessions = await Promise.all([1, 2, 3].map(() => t.api.session()));
    for (const s of sessions) await q.join(eventID, s);
    const streams = await Promise.all(sessions.map((s) => watch(eventID, s)));
    for (const c of streams) {
      expect(c.status).toBe(200);
      await c.until(() => ofType(c, 'status').length === 1);
      expect(last(c, 'status')).toMatchObject({ state: 'waiting', position: null, rank: null });
    }

    // The opening: each stream learns its rank (one read for all), and the first is admitted.
    await q.run(eventID, 5000);
    for (const c of streams)
      await c.until(() => last(c, 'status')?.rank != null || last(c, 'status')?.state === 'admitted');
    const ranks = streams.map((c) => (last(c, 'status').state === 'admitted' ? 1 : last(c, 'status').rank));
    expect([...ranks].sort()).toEqual([1, 2, 3]);
    const third = streams[ranks.indexOf(3)]!;
    await third.until(() => last(third, 'progress')?.admitted === 1);
    expect(last(third, 'progress')).toMatchObject({ opened: true, admitted: 1, waiting: 2 });

    // Position = rank - admitted, from the shared progress alone; then the admission, with its deadline.
    const statuses = ofType(third, 'status').length;
    await q.run(eventID, 2000);
    await third.until(() => ofType(third, 'status').length > statuses);
    const admitted = last(third, 'status');
    expect(admitted).toMatchObject({ state: 'admitted', position: null, rank: 3 });
    expect(Date.parse(admitted.admittedUntil)).toBe(q.clock.now().getTime() + 90_000);
    expect((await q.status(eventID, sessions[ranks.indexOf(3)]!)).body.admittedUntil).toBe(
      admitted.admittedUntil,
    );
  });

  it('says when the waiting room is removed, and ends the stream', async () => {
    const { eventID } = await t.api.event();
    await q.open(eventID);
    const sid = await t.api.session();
    await q.join(eventID, sid);
    const c = await watch(eventID, sid);
    await c.until(() => ofType(c, 'status').length === 1);
    await q.remove(eventID);
    await c.until(() => c.ended, 3000, 'the stream to end');
    expect(ofType(c, 'closed')).toHaveLength(1);
  });
});

describe('a long wait', () => {
  let t: TestApp;
  beforeAll(async () => {
    // Sessions of 4 s: a stream is renewed after about a second (a quarter of it).
    t = await startApp(stores[0]!, { env: { SESSION_TTL_SECONDS: '4' }, queue: { timers: false } });
  });
  afterAll(() => t.close());

  it('renews the stream before the session could run out, and the client comes back', async () => {
    const base = await listening(t);
    const { eventID } = await t.api.event();
    await queueOf(t).open(eventID, { opensInMs: 3_600_000 });
    const sid = await t.api.session();
    await queueOf(t).join(eventID, sid);
    const c = await SseClient.open(`${base}/api/events/${eventID}/queue/stream`, { 'x-session-id': sid });
    await c.until(() => c.messages.length >= 2);
    await new Promise((r) => setTimeout(r, 1300));
    await queueOf(t).step(eventID);
    await c.until(() => c.ended, 2000, 'the stream to be renewed');
    // It asks the browser to come back within a few seconds.
    expect(c.retries.at(-1)).toBeGreaterThanOrEqual(1000);
    expect(c.retries.at(-1)).toBeLessThanOrEqual(3000);
  });
});
