import { SeatRows, type BestFilter } from '../domain/best-available.js';
import { DomainError, isDomainError } from '../domain/errors.js';
import { isUuid } from '../domain/validation.js';
import { Claims } from './best-available-claims.js';
import type { EventLayout, LayoutCache } from './layout-cache.js';
import type { LockResult, LockService } from './lock.service.js';
import type { Clock, HoldStore } from './ports.js';
import type { SeatTable } from './seat-table.js';
import type { SessionService } from './session.service.js';

// Each lost race rules out at least one more seat, so a few rounds settle any rush of one instance;
// more would only keep a client waiting where another instance keeps winning.
const MAX_ROUNDS = 5;
// A pick that found nothing while locks of this instance were under way waits for them; bounded all the same.
const MAX_WAITS = 20;
// How long (by the service clock) a read of the event may serve later picks. Reading every sold seat and
// hold of a large event is most of a pick's cost (in Redis, half the CPU of a best-available lock when
// read every 50 ms); seats this instance won since are marked in it from the claims. A read stops serving
// sooner when seats of the event are freed (a notice: at once here, over the bus from other instances;
// notices of seats taken are marked in it instead),
// when a lock picked on it finds seats taken elsewhere, and when nothing fits on it: a refusal is only
// made on a read that began after the request came.
export const REUSE_MS = 250;

export interface BestRequest extends BestFilter {
  eventId: string;
  quantity: number;
}

/**
 * Best available: reads which seats are free now, picks the best block (src/domain/best-available.ts),
 * and locks it through the same all-or-nothing lock as POST /api/lock. The lock decides: a block
 * taken in the meantime fails it as a whole, and the pick runs again without those seats, so no seat
 * is ever chosen twice. The read takes no lock: the seats sold or held now, as the lock path sees them.
 */
export class BestAvailableService {
  private readonly rows = new WeakMap<EventLayout, SeatRows>();
  private readonly claims = new Map<string, Requests>();

  constructor(
    private readonly deps: {
      layouts: LayoutCache;
      holds: HoldStore;
      locks: LockService;
      sessions: SessionService;
      clock: Clock;
    },
    private readonly cfg: { maxSeatsPerSession: number },
  ) {}

  async lock(token: string | undefined, req: BestRequest): Promise<LockResult & { chosen: string[] }> {
    if (!this.deps.sessions.proof(token)) throw new DomainError('SESSION_REQUIRED');
    const layout = isUuid(req.eventId) ? await this.deps.layouts.get(req.eventId) : null;
    if (!layout) return this.refuse(token, new DomainError('NOT_FOUND', 'Unknown event.'));
    const invalid = this.invalid(req, this.rowsOf(layout));
    if (invalid) return this.refuse(token, invalid);

    // One set of claims per event while requests for it run here or its last read serves; then dropped.
    // (Kept between requests: a rush's locks often all answer in one turn, leaving none running for a moment.)
    const entry = this.claims.get(req.eventId) ?? {
      eventId: req.eventId,
      claims: new Claims(),
      requests: 0,
      reading: null,
    };
    this.claims.set(req.eventId, entry);
    entry.requests++;
    try {
      return await this.pickAndLock(token, req, layout, entry);
    } finally {
      entry.requests--;
      this.dropIfIdle(entry);
    }
  }

  private async pickAndLock(
    token: string | undefined,
    req: BestRequest,
    layout: EventLayout,
    entry: Requests,
  ) {
    const { claims } = entry;
    const rows = this.rowsOf(layout);
    const { seats } = layout;
    // Seats a lost lock found taken: ruled out for good, so every lost round makes progress.
    const lost = new Set<string>();
    let rounds = 0;
    let waits = 0;
    let reread = false;
    while (rounds < MAX_ROUNDS) {
      const shared = this.read(entry, req.eventId, seats);
      const reused = shared.reused;
      shared.reused = true;
      const read = claims.beginRead(shared.began);
      let chosen: string[] | null;
      try {
        // The read, brought up to date with this instance's wins since (kept in it for later picks),
        // less the seats of locks under way and those this request lost.
        const seen = await shared.free;
        shared.upTo = claims.wonSince(shared.upTo, (won) => take(seen, seats, won));
        take(seen, seats, shared.noticed.splice(0));
        const free = seen.slice();
        take(free, seats, claims.claimedSeats());
        take(free, seats, lost);
        chosen = rows.best(free, req.quantity, req)?.map((i) => seats.id(i)) ?? null;
        // Nothing fits, but a lock under way here may yet fail and free its seats: wait for it, look again.
        const pending = chosen ? null : read.pending();
        if (pending && waits++ < MAX_WAITS) {
          read.end();
          await pending;
          continue;
        }
        // Nothing fits on a read made before this request: look at the seats as they are now.
        // Once is enough: every read after that began after this request did.
        if (!chosen && reused && !reread) {
          reread = true;
          this.retire(entry, shared);
          continue;
        }
      } finally {
        read.end();
      }
      if (!chosen) return this.refuse(token, noBlock(req.quantity));
      const claim = claims.claim(chosen);
      try {
        const result = await this.deps.locks.lock(token, req.eventId, chosen);
        claim.won();
        return { ...result, chosen };
      } catch (e) {
        claim.lost();
        if (!(isDomainError(e) && e.code === 'SEATS_UNAVAILABLE')) throw e;
        for (const id of (e.details.unavailable as string[] | undefined) ?? chosen) lost.add(id);
        // Seats were taken since the read (elsewhere, or by a lock of this instance that lapsed in between):
        // later picks read again instead of running into the same out-of-date seats.
        this.retire(entry, shared);
        rounds++;
      }
    }
    throw new DomainError('SERVICE_UNAVAILABLE', 'Seats kept being taken while choosing: retry.');
  }

  /**
   * Seats of the event were taken (held or sold, here or on another instance): marked so in its read, so
   * that no later pick on it chooses them (a session's own holds above all: re-locking them would succeed).
   */
  taken(eventId: string, seatIds: readonly string[]): void {
    this.claims.get(eventId)?.reading?.noticed.push(...seatIds);
  }

  /** Seats of the event (or of any event) were freed: its read serves no more picks. */
  invalidate(eventId?: string): void {
    for (const entry of eventId === undefined ? this.claims.values() : [this.claims.get(eventId)])
      if (entry?.reading) this.retire(entry, entry.reading);
  }

  /**
   * The event's seats as a read under way or lately finished (up to REUSE_MS) has them, or a new read: in
   * a rush, requests share reads instead of each reading every sold seat and hold of the event. A shared
   * read keeps the tick it began at, and stays open in the claims while it serves, so seats won since are
   * left out of the picks made on it (see Claims).
   */
  private read(entry: Requests, eventId: string, seats: SeatTable): Reading {
    const now = this.deps.clock.now().getTime();
    if (entry.reading && now - entry.reading.at < REUSE_MS) return entry.reading;
    if (entry.reading) this.retire(entry, entry.reading);
    const began = entry.claims.now();
    const open = entry.claims.beginRead(began);
    const free = this.free(eventId, seats);
    const reading: Reading = {
      began,
      at: now,
      upTo: began,
      noticed: [],
      free,
      reused: false,
      end: () => open.end(),
    };
    entry.reading = reading;
    reading.free.then(
      () => setTimeout(() => this.retire(entry, reading), REUSE_MS).unref(),
      () => this.retire(entry, reading),
    );
    return reading;
  }

  /** The read serves no more picks (those under way on it finish). */
  private retire(entry: Requests, reading: Reading): void {
    if (entry.reading === reading) entry.reading = null;
    reading.end();
    this.dropIfIdle(entry);
  }

  private dropIfIdle(entry: Requests): void {
    if (entry.requests === 0 && !entry.reading && this.claims.get(entry.eventId) === entry)
      this.claims.delete(entry.eventId);
  }

  /** Seats that may be sold now: 1 for free, 0 for sold or held by anyone (this session included). */
  private async free(eventId: string, seats: SeatTable): Promise<Uint8Array> {
    const free = new Uint8Array(seats.size).fill(1);
    take(free, seats, await this.deps.holds.takenIds(eventId, this.deps.clock.now()));
    return free;
  }

  private rowsOf(layout: EventLayout) {
    let built = this.rows.get(layout);
    if (!built) {
      built = new SeatRows([...layout.seats]);
      this.rows.set(layout, built);
    }
    return built;
  }

  private invalid(req: BestRequest, rows: SeatRows): DomainError | null {
    const max = this.cfg.maxSeatsPerSession;
    if (req.quantity < 1 || req.quantity > max)
      return new DomainError('VALIDATION_ERROR', `quantity: 1 to ${max} seats.`, { field: 'quantity' });
    if (req.category !== undefined && !rows.hasCategory(req.category))
      return new DomainError('VALIDATION_ERROR', `category: no category "${req.category}" in this event.`, {
        field: 'category',
      });
    if (req.section !== undefined && !rows.hasSection(req.section))
      return new DomainError('VALIDATION_ERROR', `section: no section "${req.section}" in this event.`, {
        field: 'section',
      });
    return null;
  }

  /** An answer that does not depend on a session still says 401 first when there is no live one. */
  private async refuse(token: string | undefined, error: DomainError): Promise<never> {
    if (!(await this.deps.sessions.authenticate(token))) throw new DomainError('SESSION_REQUIRED');
    throw error;
  }
}

/** The best-available requests of one event on this instance, and the read they share. */
interface Requests {
  eventId: string;
  claims: Claims;
  requests: number;
  reading: Reading | null;
}

/** A read of the event's seats: begun at a tick of the claims, shared while it serves. */
interface Reading {
  began: number;
  /** Service-clock ms at which it began: a test clock moved on makes it old too. */
  at: number;
  /** The tick up to which this instance's wins are marked in `free`. */
  upTo: number;
  /** Seats taken since it began, as notices told, not yet marked in `free`. */
  noticed: string[];
  free: Promise<Uint8Array>;
  /** Whether a pick has used it already: a later one did not start it, so it may be out of date. */
  reused: boolean;
  /** Closes it in the claims (idempotent). */
  end(): void;
}

function take(free: Uint8Array, seats: SeatTable, seatIds: Iterable<string>): void {
  for (const id of seatIds) {
    const i = seats.indexOf(id);
    if (i >= 0) free[i] = 0;
  }
}

const noBlock = (quantity: number) =>
  new DomainError('NO_SEATS_TOGETHER', `No ${quantity} free seats side by side fit the request.`, {
    quantity,
  });
