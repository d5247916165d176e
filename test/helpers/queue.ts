import type { ManualClock } from '../../src/infra/clock.js';
import type { TestApp } from './app.js';

/** The waiting room through its routes, for tests on a manual clock with the admission timers off. */
export function queueOf(t: TestApp) {
  const clock = t.clock as ManualClock;
  const url = (eventID: string) => `/api/events/${eventID}/queue`;
  return {
    clock,
    put: (eventID: string, body: Record<string, unknown>) =>
      t.api.call('PUT', url(eventID), { body, admin: true }),
    /** A queue that opens `opensInMs` from now on the test clock. */
    open: async (
      eventID: string,
      o: { opensInMs?: number; admitPerMinute?: number; admissionSeconds?: number } = {},
    ) => {
      const res = await t.api.call('PUT', url(eventID), {
        admin: true,
        body: {
          opensAt: new Date(clock.now().getTime() + (o.opensInMs ?? 60_000)).toISOString(),
          admitPerMinute: o.admitPerMinute ?? 60,
          admissionSeconds: o.admissionSeconds ?? 120,
        },
      });
      if (res.status !== 200) throw new Error(`PUT queue: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body;
    },
    join: (eventID: string, session: string) => t.api.post(url(eventID), undefined, { session }),
    status: (eventID: string, session: string) => t.api.get(url(eventID), { session }),
    remove: (eventID: string) => t.api.delete(url(eventID), { admin: true }),
    /** One admission step, as the room's timer would take it. */
    step: (eventID: string) => t.container.services.queue.step(eventID),
    /** Moves the clock in steps of `everyMs`, with an admission step after each. */
    async run(eventID: string, ms: number, everyMs = 1000) {
      for (let done = 0; done < ms; done += everyMs) {
        clock.advance(Math.min(everyMs, ms - done));
        await t.container.services.queue.step(eventID);
      }
    },
  };
}
