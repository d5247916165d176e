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

/** `subset` in the order of `order` (a request's own order of seats). */
export function sortLike(order: readonly string[], subset: readonly string[]): string[] {
  const keep = new Set(subset);
  return order.filter((id) => keep.has(id));
}
