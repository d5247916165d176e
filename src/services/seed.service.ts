import type { VenueInput } from '../domain/venue.js';
import type { EventService } from './event.service.js';
import type { EventRepository } from './ports.js';

/** Fixed, so that several instances starting on one empty database create one demo event, not several. */
export const DEMO_EVENT_ID = '00000000-0000-4000-8000-00000000d3e0';

const rows = (names: string, category: string) => [...names].map((name) => ({ name, category, seats: 20 }));

/**
 * A small theatre: Stalls (rows A–G, the first four Premium) in front of a Balcony (rows A–C), 200 seats,
 * four of them accessible at the ends of the Stalls' back row, and a standing area behind.
 */
export const DEMO_VENUE: VenueInput = {
  categories: [
    { key: 'premium', label: 'Premium', price: 4500 },
    { key: 'standard', label: 'Standard', price: 2500 },
  ],
  sections: [
    {
      name: 'Stalls',
      rows: [
        ...rows('ABCD', 'premium'),
        ...rows('EF', 'standard'),
        {
          name: 'G',
          category: 'standard',
          seats: Array.from({ length: 20 }, (_, i) => ({ number: i + 1, accessible: i < 2 || i >= 18 })),
        },
      ],
    },
    { name: 'Balcony', rows: rows('ABC', 'standard') },
  ],
  areas: [{ name: 'Standing', category: 'standard', capacity: 100 }],
};

export async function seedDemo(events: EventService, repo: EventRepository): Promise<boolean> {
  if ((await repo.count()) > 0) return false;
  try {
    await events.create({ name: 'Demo Concert', currency: 'EUR', ...DEMO_VENUE }, DEMO_EVENT_ID);
    return true;
  } catch (e) {
    if ((await repo.get(DEMO_EVENT_ID)) !== null) return false; // another instance seeded it first
    throw e;
  }
}
