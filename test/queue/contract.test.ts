import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, startApp, type TestApp } from '../helpers/app.js';
import { queueOf } from '../helpers/queue.js';
import { engineStores } from '../helpers/stores.js';

// The stores, and Redis Cluster: every queue script must touch one slot.
const stores = await engineStores();

describe.each(stores.map((s) => [s.name, s] as const))('the waiting room on %s', (_name, store) => {
  let t: TestApp;
  let q: ReturnType<typeof queueOf>;
  beforeAll(async () => {
    t = await startApp(store, { clock: 'manual', queue: { timers: false } });
    q = queueOf(t);
  });
  afterAll(() => t.close());

  const lock = (eventID: string, seatIDs: string[], session: string) =>
    t.api.post('/api/lock', { eventID, seatIDs }, { session });

  it('admin: PUT answers the settings; bad input is a 400 naming the field; unknown event 404', async () => {
    const { eventID } = await t.api.event();
    const good = { opensAt: '2030-01-01T00:10:00.000Z', admitPerMinute: 30, admissionSeconds: 300 };
    const put = await q.put(eventID, good);
    expect(put.status).toBe(200);
    expect(put.body).toEqual({ eventID, ...good });

    const bad: [Record<string, unknown>, string][] = [
      [{ ...good, opensAt: 'tomorrow' }, 'opensAt'],
      [{ ...good, opensAt: '2030-13-45T99:00:00Z' }, 'opensAt'],
      [{ ...good, opensAt: 1893456000000 }, 'opensAt'],
      [{ ...good, admitPerMinute: 0 }, 'admitPerMinute'],
      [{ ...good, admitPerMinute: -5 }, 'admitPerMinute'],
      [{ ...good, admitPerMinute: 2.5 }, 'admitPerMinute'],
      [{ ...good, admitPerMinute: '30' }, 'admitPerMinute'],
      [{ ...good, admitPerMinute: 1e9 }, 'admitPerMinute'],
      [{ ...good, admissionSeconds: 0 }, 'admissionSeconds'],
      [{ ...good, admissionSeconds: 10 ** 7 }, 'admissionSeconds'],
      [{ opensAt: good.opensAt, admitPerMinute: 30 }, 'admissionSeconds'],
    ];
    for (const [body, field] of bad) {
      const res = await q.put(eventID, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error).toBe('VALIDATION_ERROR');
      expect(res.body.message).toContain(field);
    }
    for (const id of ['00000000-0000-4000-8000-000000000000', 'not-an-event']) {
      expect((await q.put(id, good)).status).toBe(404);
      expect((await q.remove(id)).status).toBe(404);
    }
    const noAdmin = await t.api.call('PUT', `/api/events/${eventID}/queue`, { body: good });
    expect(noAdmin.status).toBe(401);
    expect((await q.remove(eventID)).status).toBe(204);
    expect((await q.remove(eventID)).status).toBe(204);
  });

  it('malformed requests get a 4xx, never a 5xx', async () => {
    const { eventID } = await t.api.event();
    const sid = await t.api.session();
    const long = 'e'.repeat(65);
    const cases = [
      t.app.inject({
        method: 'PUT',
        url: `/api/events/${eventID}/queue`,
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'text/plain' },
        payload: 'opensAt=soon',
      }),
      t.app.inject({
        method: 'PUT',
        url: `/api/events/${eventID}/queue`,
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        payload: '{"opensAt": ',
      }),
      t.app.inject({
        method: 'PUT',
        url: `/api/events/${eventID}/queue`,
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
        payload: [] as unknown as string,
      }),
      t.app.inject({ method: 'POST', url: `/api/events/${long}/queue`, headers: { 'x-session-id': sid } }),
      t.app.inject({
        method: 'GET',
        url: `/api/events/${long}/queue/stream`,
        headers: { 'x-session-id': sid },
      }),
      t.app.inject({ method: 'GET', url: `/api/events/%00/queue`, headers: { 'x-session-id': sid } }),
    ];
    for (const res of await Promise.all(cases)) {
      expect(res.statusCode).toBeGreaterThanOrEqual(400);
      expect(res.statusCode).toBeLessThan(500);
      expect(res.json().error).toBeTypeOf('string');
    }
  });

  it('metrics: queue length, admissions and the wait time', async () => {
    const { eventID } = await t.api.event();
    await q.open(eventID, { opensInMs: 1000, admitPerMinute: 60 });
    for (let i = 0; i < 3; i++) await q.join(eventID, await t.api.session());
    await q.run(eventID, 2000);
    const text: string = (await t.api.get('/metrics')).body;
    expect(text).toContain(`queue_waiting_sessions{event="${eventID}"} 1`);
    expect(text).toContain(`queue_admissions_total{event="${eventID}"} 2`);
    expect(text).toMatch(/queue_wait_seconds_count \d+/);
    expect(text).toContain(`queue_admit_rate_per_minute{event="${eventID}"} 60`);
  });

  it('sessions: 401 without one, 404 without a queue or without a place, 201 on every join', async () => {
    const { eventID } = await t.api.event();
    const sid = await t.api.session();
    expect((await t.api.post(`/api/events/${eventID}/queue`)).status).toBe(401);
    const none = await q.join(eventID, sid);
    expect(none.status).toBe(404);
    expect(none.body).toMatchObject({ error: 'NOT_FOUND', waitingRoom: false });
    expect((await q.join('not-an-event', sid)).status).toBe(404);
    expect((await q.join('00000000-0000-4000-8000-000000000000', sid)).status).toBe(404);

    const { opensAt } = await q.open(eventID);
    const notJoined = await q.status(eventID, sid);
    expect(notJoined.status).toBe(404);
    expect(notJoined.body).toMatchObject({ waitingRoom: true, opensAt });

    const joined = await q.join(eventID, sid);
    expect(joined.status).toBe(201);
    // Before the opening the order is not drawn: no position yet.
    expect(joined.body).toEqual({
      state: 'waiting',
      position: null,
      opensAt,
      admittedUntil: null,
      estimatedWaitSeconds: null,
    });
    const again = await q.join(eventID, sid);
    expect(again.status).toBe(201);
    expect(again.body).toEqual(joined.body);
    expect((await q.status(eventID, sid)).body).toEqual(joined.body);
  });

  it('QUEUE_REQUIRED before admission and after it ends; a held seat is still paid for after', async () => {
    const { eventID, seatIDs } = await t.api.event();
    const customerID = await t.api.customer();
    const [a, b] = [await t.api.session(), await t.api.session()];
    await q.open(eventID, { opensInMs: 10_000, admitPerMinute: 60, admissionSeconds: 30 });
    // Not joined, and joined but not admitted: both refused, nothing held.
    expect((await lock(eventID, [seatIDs[0]!], a)).body.error).toBe('QUEUE_REQUIRED');
    await q.join(eventID, a);
    await q.join(eventID, b);
    const refused = await lock(eventID, [seatIDs[0]!], a);
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ error: 'QUEUE_REQUIRED', eventID });
    // A dead session still hears 401 first.
    expect((await lock(eventID, [seatIDs[0]!], 'no-such-session')).status).toBe(401);

    await q.run(eventID, 10_000);
    const first = (await q.status(eventID, a)).body.state === 'admitted' ? a : b;
    const second = first === a ? b : a;
    const admitted = await q.status(eventID, first);
    expect(admitted.body).toMatchObject({ state: 'admitted', position: null, estimatedWaitSeconds: null });
    expect(Date.parse(admitted.body.admittedUntil)).toBe(q.clock.now().getTime() + 30_000);
    expect((await q.status(eventID, second)).body).toMatchObject({ state: 'waiting', position: 1 });
    expect((await lock(eventID, [seatIDs[1]!], second)).status).toBe(403);

    const held = await lock(eventID, [seatIDs[0]!, seatIDs[1]!], first);
    expect(held.status).toBe(200);
    // Best available locks through the same gate.
    const best = (session: string) => t.api.post('/api/lock/best', { eventID, quantity: 1 }, { session });
    expect((await best(second)).body).toMatchObject({ error: 'QUEUE_REQUIRED' });
    expect((await best(first)).status).toBe(200);
    q.clock.advance(30_000);
    const over = await lock(eventID, [seatIDs[2]!], first);
    expect(over.status).toBe(403);
    expect(over.body).toMatchObject({ error: 'QUEUE_REQUIRED', admittedUntil: admitted.body.admittedUntil });
    // Releasing one and paying for the other need no admission: a payment in progress is never lost.
    const released = await t.api.post(
      '/api/cancel-lock',
      { eventID, seatIDs: [seatIDs[1]] },
      { session: first },
    );
    expect(released.body.released).toEqual([seatIDs[1]]);
    const paid = await t.api.post(
      '/api/confirm',
      { eventID, customerID, seatIDs: [seatIDs[0]], payment: { token: 'tok_visa' } },
      { session: first },
    );
    expect(paid.status).toBe(201);
    expect(paid.body.reservation.seatIDs).toEqual([seatIDs[0]]);
  });

  it('events without a queue are not gated; removing the queue opens the event to all at once', async () => {
    const free = await t.api.event();
    const sid = await t.api.session();
    expect((await lock(free.eventID, [free.seatIDs[0]!], sid)).status).toBe(200);

    const { eventID, seatIDs } = await t.api.event();
    await q.open(eventID);
    expect((await lock(eventID, [seatIDs[0]!], sid)).status).toBe(403);
    expect((await q.remove(eventID)).status).toBe(204);
    expect((await lock(eventID, [seatIDs[0]!], sid)).status).toBe(200);
    expect((await q.join(eventID, sid)).body).toMatchObject({ waitingRoom: false });
  });

  it('opensAt cannot move once the queue has opened; the rate and the admission time can', async () => {
    const { eventID } = await t.api.event();
    const first = await q.open(eventID, { opensInMs: 5000 });
    const later = new Date(q.clock.now().getTime() + 3_600_000).toISOString();
    expect((await q.put(eventID, { ...first, opensAt: later, eventID: undefined })).status).toBe(200);
    expect((await q.put(eventID, { ...first, eventID: undefined })).status).toBe(200);

    q.clock.advance(5000);
    await q.step(eventID);
    const moved = await q.put(eventID, { ...first, opensAt: later, eventID: undefined });
    expect(moved.status).toBe(400);
    expect(moved.body.message).toContain('opensAt');
    const faster = await q.put(eventID, { ...first, admitPerMinute: 600, eventID: undefined });
    expect(faster.status).toBe(200);
    expect(faster.body.admitPerMinute).toBe(600);
  });

  it('positions count down as sessions are admitted, with a wait estimate from the rate', async () => {
    const { eventID } = await t.api.event();
    await q.open(eventID, { opensInMs: 1000, admitPerMinute: 60, admissionSeconds: 60 });
    q.clock.advance(1000);
    const sessions: string[] = [];
    for (let i = 0; i < 5; i++) {
      const sid = await t.api.session();
      sessions.push(sid);
      await q.join(eventID, sid);
    }
    // After the opening, arrival order; nobody admitted yet (no step has run).
    const before = await Promise.all(sessions.map((s) => q.status(eventID, s)));
    expect(before.map((r) => r.body.position)).toEqual([1, 2, 3, 4, 5]);
    expect(before[4]!.body.estimatedWaitSeconds).toBe(5);
    await q.run(eventID, 2000);
    const after = await Promise.all(sessions.map((s) => q.status(eventID, s)));
    expect(after.map((r) => r.body.state)).toEqual([
      'admitted',
      'admitted',
      'admitted',
      'waiting',
      'waiting',
    ]);
    expect(after.map((r) => r.body.position)).toEqual([null, null, null, 1, 2]);
  });
});
