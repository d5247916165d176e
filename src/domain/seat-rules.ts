import type { SeatStatus } from './types.js';

/** A seat's stored state. A hold is only real while `lockUntil` is in the future. */
export interface SeatState {
  id: string;
  status: SeatStatus;
  lockedBy: string | null;
  lockUntil: Date | null;
}

export function isLive(seat: SeatState, now: Date): boolean {
  return seat.status === 'locked' && seat.lockUntil !== null && seat.lockUntil > now;
}

/** What everyone sees: an expired hold reads as available at once, whether or not cleanup has run. */
export function publicStatus(seat: SeatState, now: Date): SeatStatus {
  if (seat.status === 'confirmed') return 'confirmed';
  return isLive(seat, now) ? 'locked' : 'available';
}

/** A seat as everyone sees it now, from whether it is sold and its hold, if any. */
export function seatAt(
  confirmed: boolean,
  hold: { until: Date } | undefined,
  now: Date,
): { status: SeatStatus; lockUntil: string | null } {
  if (confirmed) return { status: 'confirmed', lockUntil: null };
  if (hold && hold.until > now) return { status: 'locked', lockUntil: hold.until.toISOString() };
  return { status: 'available', lockUntil: null };
}

export function blocksSession(seat: SeatState, sessionId: string, now: Date): boolean {
  return seat.status === 'confirmed' || (isLive(seat, now) && seat.lockedBy !== sessionId);
}

export type LockDecision =
  | { kind: 'ok'; heldAfter: string[] }
  | { kind: 'unavailable'; seatIDs: string[] }
  | { kind: 'too-many'; wouldHold: number };

/**
 * Decide a lock request, all or nothing. `rows` holds the requested seats and every seat
 * the session holds in the event; the result lists every seat the session will hold.
 */
export function decideLock(
  requested: readonly string[],
  rows: readonly SeatState[],
  sessionId: string,
  now: Date,
  maxSeats: number,
): LockDecision {
  const wanted = new Set(requested);
  const unavailable = rows
    .filter((s) => wanted.has(s.id) && blocksSession(s, sessionId, now))
    .map((s) => s.id);
  if (unavailable.length > 0) return { kind: 'unavailable', seatIDs: sortLike(requested, unavailable) };
  const heldAfter = rows.filter((s) => wanted.has(s.id) || (isLive(s, now) && s.lockedBy === sessionId));
  if (heldAfter.length > maxSeats) return { kind: 'too-many', wouldHold: heldAfter.length };
  return { kind: 'ok', heldAfter: heldAfter.map((s) => s.id) };
}

export type HoldCheck =
  { kind: 'ok' } | { kind: 'not-locked'; seatIDs: string[] } | { kind: 'expired'; seatIDs: string[] };

/** Before a charge: every target seat must be held by this session, and still in time. */
export function checkHeld(targets: readonly SeatState[], sessionId: string, now: Date): HoldCheck {
  const notMine = targets.filter((s) => s.status !== 'locked' || s.lockedBy !== sessionId).map((s) => s.id);
  if (notMine.length > 0) return { kind: 'not-locked', seatIDs: notMine };
  const expired = targets.filter((s) => !isLive(s, now)).map((s) => s.id);
  if (expired.length > 0) return { kind: 'expired', seatIDs: expired };
  return { kind: 'ok' };
}

function sortLike(order: readonly string[], subset: readonly string[]): string[] {
  const keep = new Set(subset);
  return order.filter((id) => keep.has(id));
}
