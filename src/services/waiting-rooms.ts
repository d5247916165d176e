import { randomBytes, randomUUID } from 'node:crypto';
import { drawnPlace } from '../domain/queue.js';
import type { LayoutCache } from './layout-cache.js';
import type { Clock, SeatChangeBus } from './ports.js';
import { QueueGate } from './queue-gate.js';
import type { QueueStore } from './queue-ports.js';
import { QueueRegistry, queueNoticesOver } from './queue-registry.js';
import { QueueService } from './queue.service.js';
import type { SessionService } from './session.service.js';

export interface WaitingRoomOverrides {
  /** False: no admission timers; tests step the rooms themselves with a manual clock. */
  timers?: boolean;
  /** The random source of places drawn before the opening (a seeded one in tests). */
  drawPlace?: () => number;
}

/** The waiting rooms' parts, put together: the service, the lock's gate, and their shared registry. */
export async function openWaitingRooms(
  deps: {
    store: QueueStore;
    bus: SeatChangeBus;
    layouts: LayoutCache;
    sessions: SessionService;
    clock: Clock;
    onError: (e: unknown) => void;
    renewMs: number;
  },
  o: WaitingRoomOverrides = {},
) {
  const registry = new QueueRegistry({
    store: deps.store,
    notices: queueNoticesOver(deps.bus),
    onError: deps.onError,
  });
  const queue = new QueueService(
    {
      store: deps.store,
      registry,
      layouts: deps.layouts,
      clock: deps.clock,
      // 52 bits from the operating system's CSPRNG: nobody can predict or steer a drawn place.
      drawPlace: o.drawPlace ?? (() => drawnPlace(randomBytes(7))),
      instance: randomUUID(),
      onError: deps.onError,
    },
    { timers: o.timers ?? true, renewMs: deps.renewMs },
  );
  await registry.start();
  return {
    queue,
    gate: new QueueGate({ registry, store: deps.store, sessions: deps.sessions }),
    close: async () => {
      registry.close();
      await queue.close();
    },
  };
}
