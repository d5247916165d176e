import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineStores } from '../helpers/stores.js';
import { liveApp, setupEvent, SseClient, type LiveApp } from './helpers.js';

// Two servers on one database: PostgreSQL carries the changes by LISTEN/NOTIFY, or Redis by pub/sub
// when the holds live there. (PGlite is one process: nothing to cross.)
const shared = (await engineStores()).filter((s) => s.name !== 'pglite');

describe.skipIf(shared.length === 0).each(shared.map((s) => [s.name, s] as const))(
  'two instances on %s',
  (_name, store) => {
    let a: LiveApp;
    let b: LiveApp;
    beforeAll(async () => {
      a = await liveApp(store, { env: { CLEANUP_INTERVAL_SECONDS: '1' } });
      b = await liveApp(store, { shared: a.env });
    });
    afterAll(async () => {
      await b?.close();
      await a?.close();
    });

    it("each instance's viewers see the other's changes within a second", async () => {
      const { eventID, seatIDs, session } = await setupEvent(a);
      const onA = await SseClient.open(`${a.base}/api/events/${eventID}/stream`);
      const onB = await SseClient.open(`${b.base}/api/events/${eventID}/stream`);
      await onA.until(() => onA.messages.length === 1);
      await onB.until(() => onB.messages.length === 1);

      // Each wait below starts once the change is answered, and allows the second the service promises.
      const sid = await session();
      const lock = await a.call('POST', '/api/lock', {
        body: { eventID, seatIDs: seatIDs.slice(0, 2) },
        session: sid,
      });
      expect(lock.status).toBe(200);
      await onB.seat(seatIDs[1]!, 'locked', 1000);
      expect(onB.state.get(seatIDs[0]!)?.lockUntil).toBe(lock.body.lockUntil);

      // The other way round, a session made on A used through B.
      await b.call('POST', '/api/cancel-lock', { body: { eventID, seatIDs: [seatIDs[0]] }, session: sid });
      await onA.seat(seatIDs[0]!, 'available', 1000);
      await onB.seat(seatIDs[0]!, 'available', 1000);

      // A release the publisher cannot place in an event (logout) still reaches the other instance.
      await b.call('DELETE', '/api/sessions/current', { session: sid });
      await onA.seat(seatIDs[1]!, 'available', 1000);
      onA.close();
      onB.close();
    });

    it('IDs stay comparable across instances: a viewer moving to the other one resumes', async () => {
      const { eventID, seatIDs, session } = await setupEvent(a);
      const sid = await session();
      const onB = await SseClient.open(`${b.base}/api/events/${eventID}/stream`);
      await onB.until(() => onB.messages.length === 1);
      const onA = await SseClient.open(`${a.base}/api/events/${eventID}/stream`);
      await a.call('POST', '/api/lock', { body: { eventID, seatIDs: [seatIDs[0]] }, session: sid });
      await onA.seat(seatIDs[0]!, 'locked');
      const seenOnA = onA.lastId!;
      onA.close();
      await onB.seat(seatIDs[0]!, 'locked');
      await a.call('POST', '/api/lock', { body: { eventID, seatIDs: [seatIDs[1]] }, session: sid });
      await onB.seat(seatIDs[1]!, 'locked');
      onB.close();

      // A's ID on B: B replays from a little before it (messages are whole seat states, so a few too
      // many are harmless), not a snapshot, and ends with the seat A's viewer missed.
      const moved = await SseClient.open(`${b.base}/api/events/${eventID}/stream`, {
        'last-event-id': seenOnA,
      });
      await moved.seat(seatIDs[1]!, 'locked');
      expect(moved.messages[0]!.data.seats.length).toBeLessThan(seatIDs.length);
      moved.close();
    });
  },
);
