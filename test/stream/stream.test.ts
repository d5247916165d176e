import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN } from '../helpers/app.js';
import { engineStores } from '../helpers/stores.js';
import { liveApp, setupEvent, SseClient, type LiveApp } from './helpers.js';

const stores = await engineStores();

describe.each(stores.map((s) => [s.name, s] as const))('live seat stream on %s', (_name, store) => {
  let t: LiveApp;
  beforeAll(async () => {
    t = await liveApp(store, {
      env: { LOCK_TTL_SECONDS: '1' },
      stream: { heartbeatMs: 200 },
      feed: { logEntries: 4, replayMarginMs: 0 },
    });
  });
  afterAll(() => t.close());

  const stream = (eventID: string, headers: Record<string, string> = {}) =>
    SseClient.open(`${t.base}/api/events/${eventID}/stream`, headers);

  it('is 404 for an unknown or malformed event, as JSON', async () => {
    for (const id of ['00000000-0000-4000-8000-000000000000', 'not-an-id']) {
      const res = await fetch(`${t.base}/api/events/${id}/stream`);
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({ error: 'NOT_FOUND' });
    }
  });

  it('starts with a snapshot, then sends every change with rising IDs and never a session', async () => {
    const { eventID, seatIDs, session } = await setupEvent(t);
    const viewer = await stream(eventID);
    expect(viewer.status).toBe(200);
    expect(viewer.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(viewer.headers['cache-control']).toContain('no-cache');
    // The headers of every API answer, although the stream writes its own.
    expect(viewer.headers['x-content-type-options']).toBe('nosniff');
    expect(viewer.headers['x-request-id']).toMatch(/^[\w-]+$/);
    await viewer.until(() => viewer.messages.length === 1, 3000, 'the snapshot');
    expect(viewer.retries[0]).toBeGreaterThan(0);
    const snapshot = viewer.messages[0]!.data;
    expect(snapshot.eventID).toBe(eventID);
    expect(snapshot.seats.map((s) => s.seatID).sort()).toEqual([...seatIDs].sort());
    expect(snapshot.seats.every((s) => s.status === 'available' && s.lockUntil === null)).toBe(true);

    const a = await session();
    const customerID = (await t.call('POST', '/api/customers', { body: { name: 'Ada' } })).body.customerID;
    const lock = await t.call('POST', '/api/lock', {
      body: { eventID, seatIDs: seatIDs.slice(0, 3) },
      session: a,
    });
    await viewer.seat(seatIDs[2]!, 'locked');
    expect(viewer.state.get(seatIDs[0]!)).toEqual({ status: 'locked', lockUntil: lock.body.lockUntil });

    await t.call('POST', '/api/cancel-lock', { body: { eventID, seatIDs: [seatIDs[2]] }, session: a });
    await viewer.seat(seatIDs[2]!, 'available');
    // Locking again refreshes the deadline of every seat the session holds: all are announced.
    const again = await t.call('POST', '/api/lock', { body: { eventID, seatIDs: [seatIDs[3]] }, session: a });
    await viewer.until(() => viewer.state.get(seatIDs[0]!)?.lockUntil === again.body.lockUntil);
    const paid = await t.call('POST', '/api/confirm', {
      body: { eventID, customerID, seatIDs: [seatIDs[0]], payment: { token: 'tok_visa' } },
      session: a,
    });
    expect(paid.status).toBe(201);
    await viewer.seat(seatIDs[0]!, 'confirmed');
    // Logout releases everything the session still holds.
    await t.call('DELETE', '/api/sessions/current', { session: a });
    await viewer.seat(seatIDs[1]!, 'available');
    await viewer.seat(seatIDs[3]!, 'available');

    const ids = viewer.messages.map((m) => Number(m.id));
    expect(ids.every((id, i) => i === 0 || id > ids[i - 1]!)).toBe(true);
    for (const m of viewer.messages) {
      expect(Object.keys(m.data).sort()).toEqual(['eventID', 'seats']);
      for (const s of m.data.seats) expect(Object.keys(s).sort()).toEqual(['lockUntil', 'seatID', 'status']);
    }
    expect(viewer.text).not.toContain(a);
    viewer.close();
  });

  it('announces a hold that runs out, without any cleanup run', async () => {
    const { eventID, seatIDs, session } = await setupEvent(t);
    const viewer = await stream(eventID);
    await viewer.until(() => viewer.messages.length === 1);
    const started = Date.now();
    await t.call('POST', '/api/lock', { body: { eventID, seatIDs: [seatIDs[4]] }, session: await session() });
    await viewer.seat(seatIDs[4]!, 'locked');
    await viewer.seat(seatIDs[4]!, 'available', 4000);
    // LOCK_TTL_SECONDS=1: turned green about a second later, not at the next cleanup.
    expect(Date.now() - started).toBeLessThan(3000);
    viewer.close();
  });

  it('counts standing places: every area in the snapshot, then each change, and a hold that runs out', async () => {
    const created = await t.call('POST', '/api/events', {
      admin: ADMIN_TOKEN,
      body: {
        name: 'Club',
        currency: 'EUR',
        categories: [{ key: 'A', label: 'All', price: 1000 }],
        sections: [{ name: 'S', rows: [{ name: 'A', category: 'A', seats: 2 }] }],
        areas: [{ name: 'Floor', category: 'A', capacity: 5 }],
      },
    });
    const eventID = created.body.eventID as string;
    const { areaID } = (await t.call('GET', `/api/seats/${eventID}`)).body.areas[0];
    const viewer = await stream(eventID);
    await viewer.until(() => viewer.messages.length === 1, 3000, 'the snapshot');
    const counts = () => viewer.messages.flatMap((m) => (m.data as any).areas ?? []);
    expect(viewer.messages[0]!.data).toMatchObject({ areas: [{ areaID, available: 5 }] });
    // Places are never sent as seats.
    expect(viewer.messages[0]!.data.seats).toHaveLength(2);

    const sid = (await t.call('POST', '/api/sessions')).body.sessionID;
    const lock = await t.call('POST', '/api/lock', {
      body: { eventID, places: [{ areaID, quantity: 3 }] },
      session: sid,
    });
    expect(lock.status).toBe(200);
    await viewer.until(() => counts().at(-1)?.available === 2, 3000, 'three places held');
    expect(viewer.messages.at(-1)!.data.seats).toEqual([]);
    // LOCK_TTL_SECONDS=1: the places come back by themselves.
    await viewer.until(() => counts().at(-1)?.available === 5, 4000, 'the hold running out');
    viewer.close();
  });

  it('sends heartbeats', async () => {
    const { eventID } = await setupEvent(t);
    const viewer = await stream(eventID);
    await viewer.until(() => viewer.comments.includes('keep-alive'), 2000, 'a heartbeat');
    viewer.close();
  });

  it('resumes from Last-Event-ID with only what was missed, else sends a snapshot', async () => {
    const { eventID, seatIDs, session } = await setupEvent(t);
    const a = await session();
    const first = await stream(eventID);
    await first.until(() => first.messages.length === 1);
    await t.call('POST', '/api/lock', { body: { eventID, seatIDs: [seatIDs[0]] }, session: a });
    await first.seat(seatIDs[0]!, 'locked');
    const seen = first.lastId!;
    first.close();

    // Missed while away: two changes.
    await t.call('POST', '/api/lock', { body: { eventID, seatIDs: [seatIDs[1]] }, session: a });
    await t.call('POST', '/api/cancel-lock', { body: { eventID, seatIDs: [seatIDs[0]] }, session: a });
    const watcher = await stream(eventID);
    await watcher.until(() => watcher.state.get(seatIDs[0]!)?.status === 'available');
    const latest = watcher.lastId!;
    watcher.close();

    const back = await stream(eventID, { 'last-event-id': seen });
    await back.until(() => back.lastId === latest, 3000, 'the missed messages');
    expect(back.messages.every((m) => Number(m.id) > Number(seen))).toBe(true);
    expect(back.messages.every((m) => m.data.seats.length < seatIDs.length)).toBe(true);
    expect(back.state.get(seatIDs[0]!)?.status).toBe('available');
    expect(back.state.get(seatIDs[1]!)?.status).toBe('locked');
    back.close();

    // The log keeps 4 messages here: push the old ID out of it, and garbage gets a snapshot too.
    for (const seat of seatIDs.slice(5, 10))
      await t.call('POST', '/api/lock', { body: { eventID, seatIDs: [seat] }, session: a });
    const live = await stream(eventID);
    await live.seat(seatIDs[9]!, 'locked');
    live.close();
    for (const id of [seen, 'garbage', '99999999999999999']) {
      const late = await stream(eventID, { 'last-event-id': id });
      await late.until(() => late.messages.length >= 1);
      expect(late.messages[0]!.data.seats).toHaveLength(seatIDs.length);
      late.close();
    }
  });

  it('ends open streams with a retry hint when the server closes', async () => {
    const other = await liveApp(store, { shared: t.env });
    const { eventID } = await setupEvent(other);
    const viewer = await SseClient.open(`${other.base}/api/events/${eventID}/stream`);
    await viewer.until(() => viewer.messages.length === 1);
    const started = Date.now();
    await other.app.close();
    await other.container.close();
    expect(Date.now() - started).toBeLessThan(3000);
    await viewer.until(() => viewer.ended, 2000, 'the end of the stream');
    expect(viewer.retries.length).toBe(2);
  });
});
