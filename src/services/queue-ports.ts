import type { QueueEntry, QueueProgress, QueueSettings } from '../domain/queue.js';

/** Where the queue stands, with its settings: what every instance reads once per step. */
export interface QueueSnapshot extends QueueProgress {
  settings: QueueSettings;
}

/** One admission step: the plan is applied only by the instance that holds the admitter lock. */
export interface AdmissionStep {
  snapshot: QueueSnapshot;
  /** How long each session admitted in this step waited (ms); empty unless this instance admitted. */
  waitedMs: number[];
}

/**
 * Where the waiting rooms live: PostgreSQL (or PGlite), or Redis when holds live there. Sessions are
 * known by the SHA-256 of their token, as the lock path knows them, so that the gate needs no lookup
 * of the session itself.
 */
export interface QueueStore {
  /** Every event's queue settings (a few rows): for the gate's cache and the admission timers. */
  list(): Promise<Map<string, QueueSettings>>;
  /**
   * Creates or changes an event's queue. `fixed`: the queue has opened and `opensAt` would change,
   * which it no longer may (the order of the early joiners is drawn at the opening).
   */
  put(eventId: string, settings: QueueSettings, now: Date): Promise<'ok' | 'fixed'>;
  /** Removes the queue and every place in it. */
  remove(eventId: string): Promise<void>;
  /**
   * Gives the session a place unless it has one (or the event has no queue): `drawn` before the
   * opening, else the next arrival's.
   */
  join(eventId: string, tokenHash: Buffer, now: Date, drawn: number): Promise<void>;
  /** Where the queue stands and the session's place in it (null: not joined); null without a queue. */
  entry(
    eventId: string,
    tokenHash: Buffer,
  ): Promise<{ snapshot: QueueSnapshot; entry: QueueEntry | null } | null>;
  /** The ranks of some sessions' places (missing ones left out), keyed by token hash in hex. */
  ranks(eventId: string, tokenHashes: readonly Buffer[]): Promise<Map<string, number>>;
  /** The gate's one lookup: until when the session is admitted, if it is. */
  admittedUntil(eventId: string, tokenHash: Buffer): Promise<Date | null>;
  /**
   * One step of the admitter: if this instance gets the admitter lock, it applies `planAdmissions`
   * (src/domain/queue.ts) to the state read under the lock, admitting the first waiting places until
   * `now` + admissionSeconds. Either way it answers where the queue stands; null when it is gone.
   */
  step(eventId: string, now: Date, instance: string): Promise<AdmissionStep | null>;
  /** Lets another instance take over admissions at once (this one is shutting down). */
  release(eventId: string, instance: string): Promise<void>;
}
