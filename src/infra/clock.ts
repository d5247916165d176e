import type { Clock } from '../services/ports.js';

export const systemClock: Clock = { now: () => new Date() };

/** A clock tests move by hand, so that expiry is tested without sleeping. */
export class ManualClock implements Clock {
  constructor(private current = new Date('2030-01-01T00:00:00.000Z')) {}
  now(): Date {
    return new Date(this.current);
  }
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}
