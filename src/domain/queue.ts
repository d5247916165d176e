/**
 * The on-sale waiting room, as pure rules: where a session's place is, how many sessions are due for
 * admission, and what a session is told. The stores keep the places and apply these decisions.
 */

export interface QueueSettings {
  opensAt: Date;
  admitPerMinute: number;
  admissionSeconds: number;
}

export const QUEUE_LIMITS = {
  admitPerMinute: { minimum: 1, maximum: 60_000 },
  admissionSeconds: { minimum: 1, maximum: 86_400 },
} as const;

/**
 * Places are numbers, ordered ascending (ties, which are vanishingly rare, by the session's token
 * hash). A session that joins before the queue opens draws a uniformly random number below 2^52, so
 * that the order of those joiners is a uniformly random permutation, fixed from the moment the queue
 * opens and hidden until then; a later arrival gets 2^52 + its arrival number, behind all of them.
 * Every place is an exact integer in a double (below 2^53): the same number in PostgreSQL and in a
 * Redis sorted set's score.
 */
export const ARRIVALS_FROM = 2 ** 52;

/** A random place for a joiner before opening, from 7 random bytes (52 bits of them). */
export function drawnPlace(bytes: Uint8Array): number {
  if (bytes.length < 7) throw new Error('a drawn place needs 7 random bytes');
  let n = 0;
  for (let i = 0; i < 6; i++) n = n * 256 + bytes[i]!;
  return n * 16 + (bytes[6]! >> 4);
}

export const arrivalPlace = (arrival: number): number => ARRIVALS_FROM + arrival;

/** Whether a join at `now` still counts as before the opening. */
export const joinsBeforeOpening = (opened: boolean, opensAt: Date, now: Date): boolean =>
  !opened && now.getTime() < opensAt.getTime();

/** What the admitter keeps between steps. */
export interface AdmitterState {
  opened: boolean;
  /** Sessions admitted so far: the first `admitted` places, in order. */
  admitted: number;
  /** When the next single admission is due (epoch ms), once opened. */
  nextAdmitMs: number | null;
}

// After a pause of the admitter (every instance busy or down), at most this much is caught up at
// once: admissions stay spread out instead of arriving as one burst.
export const MAX_BACKLOG_MS = 3000;

export interface AdmissionPlan {
  opened: boolean;
  /** How many sessions to admit now, at most (fewer when fewer are waiting). */
  due: number;
  /** The next admission time once `admitted` of the `due` were admitted. */
  nextAfter(admitted: number): number | null;
}

/**
 * Admissions at `admitPerMinute`, one every 60 000 / rate ms, counted from the opening: each step
 * admits those whose time has come. Credit is not saved while nobody waits (a crowd arriving later
 * is not let in as one burst), and a long pause is caught up only by MAX_BACKLOG_MS.
 */
export function planAdmissions(settings: QueueSettings, state: AdmitterState, now: Date): AdmissionPlan {
  const nowMs = now.getTime();
  const opensMs = settings.opensAt.getTime();
  if (!state.opened && nowMs < opensMs) return { opened: false, due: 0, nextAfter: () => null };
  const interval = 60_000 / settings.admitPerMinute;
  const from = Math.max(
    state.opened && state.nextAdmitMs !== null ? state.nextAdmitMs : opensMs,
    nowMs - MAX_BACKLOG_MS,
  );
  const due = nowMs >= from ? Math.floor((nowMs - from) / interval) + 1 : 0;
  return {
    opened: true,
    due,
    nextAfter: (admitted) =>
      admitted >= due ? from + due * interval : Math.max(from + admitted * interval, nowMs),
  };
}

/** From joining, or from the opening for those who joined before it, to admission. */
export const waitedMs = (joinedAt: Date, opensAt: Date, admittedAt: Date): number =>
  admittedAt.getTime() - Math.max(joinedAt.getTime(), opensAt.getTime());

/** Where the queue stands, as every instance reads it. */
export interface QueueProgress {
  opened: boolean;
  admitted: number;
  waiting: number;
}

/** One session's place: its rank, 1-based, among every place of the queue. */
export interface QueueEntry {
  rank: number;
  admittedUntil: Date | null;
}

/** Whether the order is fixed: places drawn before the opening may still be joined by others until then. */
export const orderFixed = (progress: Pick<QueueProgress, 'opened'>, settings: QueueSettings, now: Date) =>
  !joinsBeforeOpening(progress.opened, settings.opensAt, now);

export interface QueueView {
  state: 'waiting' | 'admitted';
  position: number | null;
  opensAt: string;
  admittedUntil: string | null;
  estimatedWaitSeconds: number | null;
}

/** Seconds until a session at `position` is admitted, at `perMinute` admissions a minute. */
export const estimatedWait = (position: number, perMinute: number): number =>
  Math.ceil((position * 60) / perMinute);

/**
 * What a session is told. Admitted sessions are the first `admitted` places, so a waiting session's
 * position is its rank minus them. Before the opening the order is not drawn yet: no position.
 */
export function queueView(
  entry: QueueEntry,
  progress: Pick<QueueProgress, 'opened' | 'admitted'>,
  settings: QueueSettings,
  perMinute: number,
  now: Date,
): QueueView {
  const opensAt = settings.opensAt.toISOString();
  if (entry.admittedUntil)
    return {
      state: 'admitted',
      position: null,
      opensAt,
      admittedUntil: entry.admittedUntil.toISOString(),
      estimatedWaitSeconds: null,
    };
  if (!orderFixed(progress, settings, now))
    return { state: 'waiting', position: null, opensAt, admittedUntil: null, estimatedWaitSeconds: null };
  const position = Math.max(1, entry.rank - progress.admitted);
  return {
    state: 'waiting',
    position,
    opensAt,
    admittedUntil: null,
    estimatedWaitSeconds: estimatedWait(position, perMinute),
  };
}

/**
 * The admission rate as measured (what wait estimates use): admissions per minute over the last
 * minute, counting only the stretches in which someone was left waiting, so that a queue that ran
 * empty does not look slow. Null until it has seen enough.
 */
export class AdmissionMeter {
  private samples: { t: number; admitted: number; waiting: number }[] = [];

  constructor(
    private readonly windowMs = 60_000,
    private readonly minimumMs = 5000,
  ) {}

  add(t: number, admitted: number, waiting: number): void {
    const last = this.samples[this.samples.length - 1];
    if (last && t <= last.t) return;
    this.samples.push({ t, admitted, waiting });
    while (this.samples.length > 2 && this.samples[1]!.t <= t - this.windowMs) this.samples.shift();
  }

  perMinute(): number | null {
    let admitted = 0;
    let ms = 0;
    for (let i = 1; i < this.samples.length; i++) {
      const [a, b] = [this.samples[i - 1]!, this.samples[i]!];
      if (a.waiting === 0) continue;
      admitted += b.admitted - a.admitted;
      ms += b.t - a.t;
    }
    return ms >= this.minimumMs && admitted > 0 ? (admitted * 60_000) / ms : null;
  }
}
