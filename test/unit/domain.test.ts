import { describe, expect, it } from 'vitest';
import { errorMessages } from '../../src/domain/errors.js';
import { layoutSeats, rowLabel } from '../../src/domain/layout.js';
import { checkHeld, publicStatus, seatAt, type SeatState } from '../../src/domain/seat-rules.js';
import { statusOf } from '../../src/http/errors.js';

const now = new Date('2030-01-01T00:00:00Z');
const later = new Date(now.getTime() + 60_000);
const earlier = new Date(now.getTime() - 1);
const seat = (id: string, over: Partial<SeatState> = {}): SeatState => ({
  id,
  status: 'available',
  lockedBy: null,
  lockUntil: null,
  ...over,
});

describe('layout', () => {
  it('names rows A … Z, AA, AB … like spreadsheet columns', () => {
    expect([0, 1, 25, 26, 27, 51, 52, 701, 702].map(rowLabel)).toEqual([
      'A',
      'B',
      'Z',
      'AA',
      'AB',
      'AZ',
      'BA',
      'ZZ',
      'AAA',
    ]);
    expect(layoutSeats(2, 2, 5).map((s) => s.name)).toEqual(['A1', 'A2', 'B1', 'B2']);
  });
});

describe('seat rules', () => {
  it('an expired lock reads as available; a confirmed seat stays confirmed', () => {
    expect(publicStatus(seat('a', { status: 'locked', lockedBy: 's', lockUntil: earlier }), now)).toBe(
      'available',
    );
    expect(publicStatus(seat('a', { status: 'locked', lockedBy: 's', lockUntil: now }), now)).toBe(
      'available',
    );
    expect(publicStatus(seat('a', { status: 'locked', lockedBy: 's', lockUntil: later }), now)).toBe(
      'locked',
    );
    expect(publicStatus(seat('a', { status: 'confirmed' }), now)).toBe('confirmed');
  });

  it('shows a seat as sold, held until its deadline, or free', () => {
    expect(seatAt(true, { until: later }, now)).toEqual({ status: 'confirmed', lockUntil: null });
    expect(seatAt(false, { until: later }, now)).toEqual({
      status: 'locked',
      lockUntil: later.toISOString(),
    });
    expect(seatAt(false, { until: now }, now)).toEqual({ status: 'available', lockUntil: null });
    expect(seatAt(false, undefined, now)).toEqual({ status: 'available', lockUntil: null });
  });

  it('a confirm needs every seat held by the session, in time', () => {
    const mine = seat('m', { status: 'locked', lockedBy: 'me', lockUntil: later });
    const lapsed = seat('l', { status: 'locked', lockedBy: 'me', lockUntil: earlier });
    const theirs = seat('t', { status: 'locked', lockedBy: 'other', lockUntil: later });
    expect(checkHeld([mine], 'me', now)).toEqual({ kind: 'ok' });
    expect(checkHeld([mine, lapsed], 'me', now)).toEqual({ kind: 'expired', seatIDs: ['l'] });
    expect(checkHeld([lapsed, theirs, seat('f')], 'me', now)).toEqual({
      kind: 'not-locked',
      seatIDs: ['t', 'f'],
    });
  });

  it('every error code has a message and an HTTP status', () => {
    for (const code of Object.keys(errorMessages) as (keyof typeof errorMessages)[]) {
      expect(errorMessages[code].length).toBeGreaterThan(0);
      expect(statusOf[code]).toBeGreaterThanOrEqual(400);
    }
  });
});
