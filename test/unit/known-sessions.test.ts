import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { KnownSessions } from '../../src/infra/redis/session-cache.js';

const hash = (i: number) => Buffer.from(`token-${i}`);

describe('the memo of sessions an instance has seen', () => {
  it('keeps the latest sessions and drops the oldest', () => {
    const known = new KnownSessions(10);
    for (let i = 0; i < 30; i++) known.set(hash(i), `s${i}`);
    for (let i = 25; i < 30; i++) expect(known.get(hash(i))).toBe(`s${i}`);
    expect(known.get(hash(0))).toBeUndefined();
    expect(known.get(hash(19))).toBeUndefined();
  });

  it('a session in use stays known while others start', () => {
    const known = new KnownSessions(10);
    known.set(hash(0), 's0');
    for (let i = 1; i < 100; i++) {
      known.set(hash(i), `s${i}`);
      expect(known.get(hash(0))).toBe('s0');
    }
  });

  it('keeps a burst of sessions known when they are used in the order they started', () => {
    // A waiting room admits its sessions in order: all of them must still be known when their turn comes.
    const known = new KnownSessions(10);
    for (let i = 0; i < 8; i++) known.set(hash(i), `s${i}`);
    for (let i = 0; i < 8; i++) expect(known.get(hash(i))).toBe(`s${i}`);
  });

  it('costs the same per session at 300,000 sessions as at the start', () => {
    const known = new KnownSessions(100_000);
    const insert = (from: number, n: number) => {
      const t = performance.now();
      for (let i = from; i < from + n; i++) known.set(hash(i), 'id');
      return performance.now() - t;
    };
    insert(0, 20_000); // warm up
    const early = insert(20_000, 20_000);
    insert(40_000, 60_000);
    // The next 200,000, past the bound, per 20,000.
    const late = insert(100_000, 200_000) / 10;
    // Relative, and loose for a busy machine: dropping the oldest key of one Map per insert made the
    // late batch hundreds of times slower.
    expect(late).toBeLessThan(early * 10 + 50);
  });
});
