import { describe, expect, it } from 'vitest';
import type { QueueSettings } from '../../src/domain/queue.js';
import type { QueueStore } from '../../src/services/queue-ports.js';
import { QueueRegistry, type QueueList, type QueueNotices } from '../../src/services/queue-registry.js';

const EVENT = '00000000-0000-4000-8000-000000000001';
const SETTINGS: QueueSettings = { opensAt: new Date(0), admitPerMinute: 60, admissionSeconds: 600 };

/**
 * The registry's reads of the queue list, held back on demand: `hold()` makes the next read take the
 * list as it is now and answer only when `release()` is called, as a slow database would.
 */
function slowList(initial: Map<string, QueueSettings>) {
  let current = initial;
  let held: { snapshot: Map<string, QueueSettings>; answer: (l: Map<string, QueueSettings>) => void } | null =
    null;
  let holdNext = false;
  let reads = 0;
  const store = {
    list: () => {
      reads++;
      const snapshot = new Map(current);
      if (!holdNext) return Promise.resolve(snapshot);
      holdNext = false;
      return new Promise<Map<string, QueueSettings>>((answer) => (held = { snapshot, answer }));
    },
  } as unknown as QueueStore;
  return {
    store,
    set: (next: Map<string, QueueSettings>) => (current = next),
    hold: () => (holdNext = true),
    release: () => {
      const h = held!;
      held = null;
      h.answer(h.snapshot);
    },
    reads: () => reads,
  };
}

/** Notices that go nowhere: the test starts every read itself. */
const silent: QueueNotices = { publish: () => undefined, subscribe: () => () => undefined };

/** A registry on `store`, past its first read; a failed read fails the test. */
async function started(store: QueueStore): Promise<QueueRegistry> {
  const registry = new QueueRegistry({
    store,
    notices: silent,
    onError: (e) => {
      throw e;
    },
  });
  await registry.start();
  return registry;
}

describe('the queue registry', () => {
  it('a read that began before a change made here is not applied over it; the list is read again', async () => {
    const db = slowList(new Map([[EVENT, SETTINGS]]));
    const registry = await started(db.store);
    expect(registry.has(EVENT)).toBe(true);

    const seen: QueueList[] = [];
    registry.onChange((queues) => seen.push(queues));
    // A re-read begins (another instance's notice, say) and reads the list while the queue still exists.
    db.hold();
    const reading = registry.refresh();
    // Meanwhile an admin removes the queue on this instance: stored, then known here at once.
    db.set(new Map());
    registry.changed(EVENT, null);
    expect(registry.has(EVENT)).toBe(false);
    const readsBefore = db.reads();

    // The old read answers now, with the queue in it.
    db.release();
    await reading;
    expect(registry.has(EVENT)).toBe(false);
    // No moment at which the removed queue gated locks again, and the list was read once more.
    expect(seen.map((q) => q.has(EVENT))).not.toContain(true);
    expect(db.reads()).toBe(readsBefore + 1);
    registry.close();
  });

  it('a read that began after the change is applied', async () => {
    const db = slowList(new Map());
    const registry = await started(db.store);
    registry.changed(EVENT, SETTINGS);
    // Another instance removed it since: the next read says so.
    db.set(new Map());
    await registry.refresh();
    expect(registry.has(EVENT)).toBe(false);
    registry.close();
  });
});
