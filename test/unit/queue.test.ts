import { describe, expect, it } from 'vitest';
import {
  AdmissionMeter,
  ARRIVALS_FROM,
  arrivalPlace,
  drawnPlace,
  planAdmissions,
  queueView,
  type AdmitterState,
  type QueueSettings,
} from '../../src/domain/queue.js';
import { seeded, seededBytes, spearman } from '../helpers/seeded.js';

const T0 = Date.parse('2030-01-01T00:00:00Z');
const settings = (admitPerMinute = 60): QueueSettings => ({
  opensAt: new Date(T0),
  admitPerMinute,
  admissionSeconds: 600,
});

/** Position (0-based) of each arrival after one opening: places drawn in arrival order, sorted as the stores sort. */
function opening(n: number, random: () => number, draw = (r: () => number) => drawnPlace(seededBytes(r, 7))) {
  const places = Array.from({ length: n }, () => draw(random));
  const order = places.map((p, arrival) => ({ p, arrival })).sort((x, y) => x.p - y.p);
  const position = new Array<number>(n);
  order.forEach((o, i) => (position[o.arrival] = i));
  return position;
}

/** Pearson's chi-square of an arrival × position table against the uniform expectation. */
function chiSquare(n: number, runs: number, one: () => number[]): number {
  const counts = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let r = 0; r < runs; r++) one().forEach((pos, arrival) => counts[arrival]![pos]!++);
  const expected = runs / n;
  return counts.flat().reduce((sum, o) => sum + (o - expected) ** 2 / expected, 0);
}

// The 99.9th percentile of chi-square with (8 - 1)^2 = 49 degrees of freedom.
const CHI2_49_P999 = 85.35;

describe('the order drawn at the opening', () => {
  it('is a uniformly random permutation: chi-square over 20,000 seeded openings of 8', () => {
    const random = seeded(11);
    const chi2 = chiSquare(8, 20_000, () => opening(8, random));
    expect(chi2).toBeLessThan(CHI2_49_P999);
  });

  it('the same test catches a biased shuffle (it can fail)', () => {
    // The classic mistake: swap each item with any item, not with one at or after it.
    const random = seeded(11);
    const naive = () => {
      const a = [...Array(8).keys()];
      for (let i = 0; i < 8; i++) {
        const j = Math.floor(random() * 8);
        [a[i], a[j]] = [a[j]!, a[i]!];
      }
      return a;
    };
    expect(chiSquare(8, 20_000, naive)).toBeGreaterThan(CHI2_49_P999);
    // And places drawn from too few bits (many ties, broken by arrival) favour early arrivals.
    const coarse = chiSquare(8, 20_000, () => opening(8, random, (r) => Math.floor(r() * 4)));
    expect(coarse).toBeGreaterThan(CHI2_49_P999);
  });

  it('arrival order does not predict position: rank correlation near 0 over 200 openings of 50', () => {
    const random = seeded(29);
    const arrivals = [...Array(50).keys()];
    const rhos = Array.from({ length: 200 }, () => spearman(arrivals, opening(50, random)));
    const mean = rhos.reduce((a, b) => a + b, 0) / rhos.length;
    // One opening's rho has a standard deviation of 1/sqrt(49) ≈ 0.14; the mean of 200, 0.01.
    expect(Math.abs(mean)).toBeLessThan(0.04);
    expect(Math.max(...rhos.map(Math.abs))).toBeLessThan(0.6);
  });

  it('drawn places use 52 bits and stay ahead of every arrival after the opening', () => {
    expect(drawnPlace(new Uint8Array(7))).toBe(0);
    expect(drawnPlace(new Uint8Array(7).fill(255))).toBe(ARRIVALS_FROM - 1);
    expect(arrivalPlace(1)).toBeGreaterThan(drawnPlace(new Uint8Array(7).fill(255)));
    expect(Number.isSafeInteger(arrivalPlace(2 ** 40))).toBe(true);
  });
});

describe('admissions', () => {
  const fresh: AdmitterState = { opened: false, admitted: 0, nextAdmitMs: null };

  /** Runs the planner like the admitter does, with `waiting` sessions, a step every `everyMs`. */
  function simulate(s: QueueSettings, ms: number, everyMs: number, waiting = Infinity) {
    let state = fresh;
    let left = waiting;
    for (let t = T0; t <= T0 + ms; t += everyMs) {
      const plan = planAdmissions(s, state, new Date(t));
      const admitted = Math.min(plan.due, left);
      left -= admitted;
      state = {
        opened: plan.opened,
        admitted: state.admitted + admitted,
        nextAdmitMs: plan.nextAfter(admitted),
      };
    }
    return state;
  }

  it('nobody before the opening, then one at once and the set rate after', () => {
    expect(planAdmissions(settings(), fresh, new Date(T0 - 1)).due).toBe(0);
    expect(planAdmissions(settings(), fresh, new Date(T0))).toMatchObject({ opened: true, due: 1 });
    // A minute at 60/min with steps every 250 ms or every second: 60 more, whatever the step.
    expect(simulate(settings(60), 60_000, 250).admitted).toBe(61);
    expect(simulate(settings(60), 60_000, 1000).admitted).toBe(61);
    expect(simulate(settings(7), 60_000, 1000).admitted).toBe(8);
    expect(simulate(settings(6000), 60_000, 1000).admitted).toBe(6001);
  });

  it('a pause is caught up by at most MAX_BACKLOG_MS; credit is not saved while nobody waits', () => {
    const running: AdmitterState = { opened: true, admitted: 10, nextAdmitMs: T0 };
    expect(planAdmissions(settings(60), running, new Date(T0 + 600_000)).due).toBe(4);
    const late = planAdmissions(settings(60), running, new Date(T0 + 10_000));
    expect(late.due).toBe(4);
    expect(late.nextAfter(4)).toBe(T0 + 11_000);
    // Only 2 were waiting: the next admission is not before now, whoever arrives later.
    expect(late.nextAfter(2)).toBe(T0 + 10_000);
  });

  it('the measured rate counts only time in which someone waited', () => {
    const meter = new AdmissionMeter();
    expect(meter.perMinute()).toBeNull();
    for (let s = 0; s <= 10; s++) meter.add(T0 + s * 1000, s * 2, 100);
    expect(meter.perMinute()).toBeCloseTo(120, 5);
    // The queue ran empty for a minute: no admissions then, and no slower estimate from it.
    for (let s = 11; s <= 70; s++) meter.add(T0 + s * 1000, 20, 0);
    meter.add(T0 + 71_000, 20, 5);
    expect(meter.perMinute()).toBeNull();
  });
});

describe('what a session is told', () => {
  const s = settings(120);
  it('no position before the opening; position and wait after; nothing to wait for once admitted', () => {
    const before = queueView(
      { rank: 7, admittedUntil: null },
      { opened: false, admitted: 0 },
      s,
      120,
      new Date(T0 - 1),
    );
    expect(before).toMatchObject({ state: 'waiting', position: null, estimatedWaitSeconds: null });
    const after = queueView(
      { rank: 7, admittedUntil: null },
      { opened: true, admitted: 3 },
      s,
      120,
      new Date(T0),
    );
    expect(after).toMatchObject({ state: 'waiting', position: 4, estimatedWaitSeconds: 2 });
    const until = new Date(T0 + 600_000);
    expect(
      queueView({ rank: 2, admittedUntil: until }, { opened: true, admitted: 3 }, s, 120, new Date(T0)),
    ).toEqual({
      state: 'admitted',
      position: null,
      opensAt: s.opensAt.toISOString(),
      admittedUntil: until.toISOString(),
      estimatedWaitSeconds: null,
    });
  });
});
