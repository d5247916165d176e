import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import { DomainError, isDomainError } from '../domain/errors.js';
import type { SeatChange } from '../domain/seat-feed.js';
import { seatAt } from '../domain/seat-rules.js';
import type { Category, SeatView } from '../domain/types.js';
import { isUuid } from '../domain/validation.js';
import type { LayoutCache } from './layout-cache.js';
import type { Clock, HoldStore, LiveHold, SeatRepository } from './ports.js';
import { areaViews, seatView, type AreaView } from './public-seats.js';

export type Encoding = 'br' | 'gzip';

const compress: Record<Encoding, (body: Buffer) => Promise<Buffer>> = {
  // Quality 5: most of brotli's gain at a small part of its top setting's cost, paid once per change.
  br: (body) => promisify(brotliCompress)(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 5 } }),
  gzip: (body) => promisify(gzip)(body, { level: 6 }),
};

/** One event's seat map as sent: the same bytes for everyone who holds nothing in it. */
export interface SeatMapDocument {
  etag: string;
  /** The JSON, encoded once: each answer then writes these bytes as they are. */
  body: Buffer;
  /** The body compressed, made on first use and kept with the document. */
  encoded(encoding: Encoding): Promise<Buffer>;
}

interface Build {
  generation: number;
  /** Service-clock ms at which a hold in it runs out, so the document is stale. */
  validUntil: number;
  builtAt: number;
  shared: SeatMapDocument;
  views: SeatView[];
  /** The standing places' states (with their area), for the live stream's counts. */
  places: SeatChange[];
  base: {
    eventID: string;
    currency: string;
    categories?: readonly Category[];
    areas?: AreaView[];
    holdsUnavailable?: true;
  };
  holders: Map<string, Set<string>>;
}

/**
 * Seat maps as documents built once per change, not per request. A document is dropped when a notice
 * says its event changed (from this instance at once, from others over the bus), when its first hold
 * runs out, and after `maxAgeMs` at the latest, should a notice from another instance be lost.
 * A session that holds seats in the event gets its own copy, with its seats marked.
 */
export class SeatMaps {
  private readonly builds = new Map<string, Promise<Build>>();
  private readonly generations = new Map<string, number>();

  constructor(
    private readonly deps: {
      layouts: LayoutCache;
      seats: SeatRepository;
      holds: HoldStore;
      clock: Clock;
    },
    private readonly opts: { maxAgeMs: number; maxEvents: number } = { maxAgeMs: 1000, maxEvents: 1000 },
  ) {}

  /** Some of the event's seats (or, without an event, any seat anywhere) may have changed. */
  invalidate(eventId?: string): void {
    if (eventId === undefined) {
      for (const id of this.generations.keys()) this.invalidate(id);
      return;
    }
    this.generations.set(eventId, (this.generations.get(eventId) ?? 0) + 1);
    this.builds.delete(eventId);
  }

  async get(eventId: string, sessionId: string | null): Promise<SeatMapDocument> {
    const build = await this.current(eventId);
    const mine = sessionId ? build.holders.get(sessionId) : undefined;
    return mine ? personal(build, mine) : build.shared;
  }

  /** The seats as everyone sees them now, and the places (what the live stream's snapshot is made of). */
  async views(eventId: string): Promise<{ seats: readonly SeatView[]; places: readonly SeatChange[] }> {
    const { views, places } = await this.current(eventId);
    return { seats: views, places };
  }

  private async current(eventId: string): Promise<Build> {
    if (!isUuid(eventId)) throw new DomainError('NOT_FOUND', 'Unknown event.');
    const now = this.deps.clock.now().getTime();
    const cached = this.builds.get(eventId);
    if (cached) {
      const build = await cached;
      const fresh =
        build.generation === this.generations.get(eventId) &&
        now < build.validUntil &&
        Date.now() - build.builtAt < this.opts.maxAgeMs;
      if (fresh) return build;
      if (this.builds.get(eventId) === cached) this.builds.delete(eventId);
      return this.current(eventId);
    }
    const generation = this.generations.get(eventId) ?? 0;
    this.generations.set(eventId, generation);
    // Requests that come while it is built share the build.
    const building = this.build(eventId, generation);
    this.builds.set(eventId, building);
    building.catch(() => {
      if (this.builds.get(eventId) === building) this.builds.delete(eventId);
    });
    if (this.builds.size > this.opts.maxEvents) {
      const oldest = this.builds.keys().next().value!;
      this.builds.delete(oldest);
      this.generations.delete(oldest);
    }
    return building;
  }

  private async build(eventId: string, generation: number): Promise<Build> {
    const layout = await this.deps.layouts.get(eventId);
    if (!layout) throw new DomainError('NOT_FOUND', 'Unknown event.');
    const now = this.deps.clock.now();
    const [sold, { holds, unavailable }] = await Promise.all([
      this.deps.seats.soldIds(eventId).then((ids) => new Set(ids)),
      this.liveHolds(eventId, now),
    ]);
    let validUntil = Infinity;
    const holders = new Map<string, Set<string>>();
    const views: SeatView[] = [];
    for (const r of layout.seats) {
      const hold = holds.get(r.id);
      const { status, lockUntil } = seatAt(sold.has(r.id), hold, now);
      if (status === 'locked' && hold) {
        validUntil = Math.min(validUntil, hold.until.getTime());
        const set = holders.get(hold.sessionId) ?? new Set<string>();
        holders.set(hold.sessionId, set.add(r.id));
      }
      views.push(seatView(r, status, lockUntil));
    }
    // Standing places held or sold, per area: an area shows how many are left, never which.
    const taken = new Map<string, number>();
    const places: SeatChange[] = [];
    for (const [id, area] of layout.areaOf) {
      const { status, lockUntil } = seatAt(sold.has(id), holds.get(id), now);
      places.push({ seatID: id, status, lockUntil, area });
      if (status === 'available') continue;
      taken.set(area, (taken.get(area) ?? 0) + 1);
      if (status === 'locked') validUntil = Math.min(validUntil, holds.get(id)!.until.getTime());
    }
    const base = {
      eventID: layout.event.id,
      currency: layout.event.currency,
      ...(layout.categories.length > 0 && { categories: layout.categories }),
      ...(layout.areas.length > 0 && { areas: areaViews(layout.areas, taken) }),
      ...(unavailable && { holdsUnavailable: true as const }),
    };
    // Without hold data the map is only good until Redis is back: look again soon.
    if (unavailable) validUntil = now.getTime() + 1000;
    const shared = documentOf(JSON.stringify({ ...base, seats: views }));
    return { generation, validUntil, builtAt: Date.now(), shared, views, places, base, holders };
  }

  /**
   * Live holds, or none when their store is down: the seat map then still serves what the database
   * knows (sales) and says that hold data is missing, rather than failing as a whole.
   */
  private async liveHolds(eventId: string, now: Date) {
    try {
      return { holds: await this.deps.holds.live(eventId, now), unavailable: false };
    } catch (e) {
      if (!(isDomainError(e) && e.code === 'SERVICE_UNAVAILABLE')) throw e;
      return { holds: new Map<string, LiveHold>(), unavailable: true };
    }
  }
}

function documentOf(json: string): SeatMapDocument {
  const body = Buffer.from(json);
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
  const encoded = new Map<Encoding, Promise<Buffer>>();
  return {
    etag,
    body,
    encoded(encoding) {
      let done = encoded.get(encoding);
      if (!done) encoded.set(encoding, (done = compress[encoding](body)));
      return done;
    },
  };
}

/** A holder's own copy: its seats marked. Few sessions hold seats at a time, and each only a few. */
function personal(build: Build, mine: Set<string>): SeatMapDocument {
  const seats = build.views.map((v) => (mine.has(v.seatID) ? { ...v, lockedByMe: true } : v));
  return documentOf(JSON.stringify({ ...build.base, seats }));
}
