import type { EventService } from './event.service.js';
import type { EventRepository } from './ports.js';

/** Fixed, so that several instances starting on one empty database create one demo event, not several. */
export const DEMO_EVENT_ID = '00000000-0000-4000-8000-00000000d3e0';

export async function seedDemo(events: EventService, repo: EventRepository): Promise<boolean> {
  if ((await repo.count()) > 0) return false;
  try {
    await events.create(
      { name: 'Demo Concert', currency: 'EUR', layout: { rows: 10, seatsPerRow: 20, price: 2500 } },
      DEMO_EVENT_ID,
    );
    return true;
  } catch (e) {
    if ((await repo.get(DEMO_EVENT_ID)) !== null) return false; // another instance seeded it first
    throw e;
  }
}
