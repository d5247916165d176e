import { LRUCache } from 'lru-cache';
import { isDomainError } from '../../domain/errors.js';
import type { Session } from '../../domain/types.js';
import type { SessionProof, SessionRepository } from '../../services/ports.js';
import type { SessionDirectory } from '../db/session.repository.js';
import { guard, type RedisClient } from './client.js';
import { keys, type TouchReply } from './scripts.js';

export interface SessionCheck {
  keys: [session: string, events: string];
  argv: [now: number, refreshBefore: number, eventId: string, eventsTtlMs: number];
}

// A session's Redis copy outlives its expiry a little, so that a request right at the edge still finds
// it; after that a request falls back to the database, which says the session is over.
const SLACK_MS = 60_000;
// An ended session stays marked in Redis this long: what a request that read it live from the database
// just before the logout must see when it tries to put it back.
const ENDED_MS = 10 * 60_000;

export interface SessionCache extends SessionRepository {
  /** The live session, registered as locking in `eventId` (so its logout visits that event). */
  touchFor(proof: SessionProof, eventId: string | undefined, eventsTtlMs: number): Promise<Session | null>;
  /** Marks the session ended in Redis; the events it locked in, for the caller to release it there. */
  endInRedis(tokenHash: Buffer): Promise<string[]>;
  /** The keys and arguments of the session's check (`sessionTouch`), to send within another script. */
  check(proof: SessionProof, eventId: string | undefined, eventsTtlMs: number): SessionCheck;
  /** A live session's check answered 'ok': the session, its stored expiry moved first if it lagged. */
  settle(proof: SessionProof, reply: TouchReply): Promise<Session>;
  /**
   * The session ID this instance last saw for a token, if any: a hint only (the session may have ended
   * since), which lets a lock send its hold together with the session check.
   */
  knownId(tokenHash: Buffer): string | undefined;
}

// Token hash -> session ID of the sessions seen lately. The pair never changes once a session exists,
// so the memo can be stale only about whether the session still lives, which every lock checks anyway.
// Sized for an on-sale's burst on one instance (a waiting room admitting 200,000 sessions in the order
// they started): about 40 MB when full. A session it has dropped costs its next lock a second round trip.
const KNOWN_MAX = 200_000;

/**
 * The sessions seen most lately, least recently used dropped first. (A memo of two generations, the
 * older dropped whole, lost most of a burst: sessions started together and then used in the same order
 * moved into the young generation as they were used, and filling it dropped the rest unused.)
 */
export class KnownSessions {
  private readonly memo: LRUCache<string, string>;

  constructor(max = KNOWN_MAX) {
    this.memo = new LRUCache({ max });
  }

  get = (tokenHash: Buffer): string | undefined => this.memo.get(tokenHash.toString('base64'));

  set(tokenHash: Buffer, id: string): void {
    const key = tokenHash.toString('base64');
    // Every lock tells the memo its session again: a known pair is only marked as used.
    if (this.memo.get(key) === id) return;
    // A copy in one piece: an ID from randomUUID() is a string built of many pieces, which kept
    // about 500 bytes alive per session instead of about 60.
    this.memo.set(key, Buffer.from(id, 'latin1').toString('latin1'));
  }
}

/**
 * Sessions for the Redis mode: the database stays their truth (created, ended and expired there), and
 * Redis keeps a copy so that a lock asks Redis alone. A session Redis does not know (a flush, an evicted
 * key) is read from the database once and put back.
 */
export function redisSessionCache(deps: {
  redis: RedisClient;
  db: SessionRepository;
  directory: SessionDirectory;
}): SessionCache {
  const { redis, db, directory } = deps;
  const known = new KnownSessions();

  const load = (s: Session, now: Date) =>
    guard(
      redis.sessionLoad(
        keys.session(s.tokenHash),
        s.id,
        s.expiresAt.getTime(),
        s.expiresAt.getTime() - now.getTime() + SLACK_MS,
      ),
    );

  const check = (proof: SessionProof, eventId: string | undefined, eventsTtlMs: number): SessionCheck => ({
    keys: [keys.session(proof.tokenHash), keys.sessionEvents(proof.tokenHash)],
    argv: [proof.now.getTime(), proof.refreshBefore.getTime(), eventId ?? '', eventsTtlMs],
  });

  async function settle(proof: SessionProof, [, id, exp, due]: TouchReply): Promise<Session> {
    const session: Session = { id: id!, tokenHash: proof.tokenHash, expiresAt: new Date(Number(exp)) };
    known.set(proof.tokenHash, session.id);
    if (due !== '1') return session;
    // The database first: it is what the cleanup job and a rebuilt Redis trust.
    await directory.extend(session.id, proof.expiresAt);
    await guard(
      redis.sessionExtend(
        keys.session(proof.tokenHash),
        proof.expiresAt.getTime(),
        proof.expiresAt.getTime() - proof.now.getTime() + SLACK_MS,
      ),
    );
    return { ...session, expiresAt: proof.expiresAt };
  }

  async function touchFor(proof: SessionProof, eventId: string | undefined, eventsTtlMs: number) {
    const {
      keys: [session, events],
      argv,
    } = check(proof, eventId, eventsTtlMs);
    for (let attempt = 0; attempt < 2; attempt++) {
      const reply = await guard(redis.sessionTouch(session, events, ...argv));
      if (reply[0] === 'dead') return null;
      if (reply[0] === 'ok') return settle(proof, reply);
      const fromDb = await db.touch(proof);
      if (!fromDb) return null;
      await load(fromDb, proof.now);
    }
    throw new Error('session could not be kept in Redis');
  }

  return {
    async create(s) {
      await db.create(s);
      known.set(s.tokenHash, s.id);
      await load({ id: s.id, tokenHash: s.tokenHash, expiresAt: s.expiresAt }, s.now).catch(() => undefined);
    },
    // Outside the lock path a Redis outage need not fail the request: the database knows the session
    // (a logout ends it in Redis first, so Redis never knows less than the database of an ended one).
    touch: (proof) =>
      touchFor(proof, undefined, 0).catch((e: unknown) => {
        if (isDomainError(e) && e.code === 'SERVICE_UNAVAILABLE') return db.touch(proof);
        throw e;
      }),
    touchFor,
    check,
    settle,
    end: (id, now) => db.end(id, now),
    knownId: known.get,
    endInRedis: (tokenHash) =>
      guard(redis.sessionEnd(keys.session(tokenHash), keys.sessionEvents(tokenHash), ENDED_MS)),
  };
}
