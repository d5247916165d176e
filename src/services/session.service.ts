import { hash, randomBytes, randomUUID } from 'node:crypto';
import type { Session } from '../domain/types.js';
import type { Clock, HoldStore, SeatChanges, SessionProof, SessionRepository } from './ports.js';

// Every session request hashes its token: the one-shot hash makes no Hash object (about 1 µs less).
export const hashToken = (token: string): Buffer => hash('sha256', token, 'buffer');

// 256 random bits, base64url: far past guessing, and safe in a header or a cookie as it is.
const newToken = () => randomBytes(32).toString('base64url');
const MAX_TOKEN_LENGTH = 128;

export class SessionService {
  constructor(
    private readonly deps: {
      sessions: SessionRepository;
      holds: HoldStore;
      clock: Clock;
      changes: SeatChanges;
    },
    private readonly ttlSeconds: number,
  ) {}

  private expiry(now: Date): Date {
    return new Date(now.getTime() + this.ttlSeconds * 1000);
  }

  /**
   * How far the stored expiry may lag behind now + TTL: min(60 s, TTL / 10). Within it a request writes
   * nothing for its session, so the hot path stays read-only for sessions; a session is never ended
   * sooner than TTL − lag after its last request.
   */
  get lagMs(): number {
    return Math.min(60_000, (this.ttlSeconds * 1000) / 10);
  }

  /** A presented token, hashed, with how this request moves its session's expiry; null if none or malformed. */
  proof(token: string | undefined): SessionProof | null {
    if (!token || token.length > MAX_TOKEN_LENGTH) return null;
    const now = this.deps.clock.now();
    const expiresAt = this.expiry(now);
    return {
      tokenHash: hashToken(token),
      now,
      expiresAt,
      refreshBefore: new Date(expiresAt.getTime() - this.lagMs),
    };
  }

  async create(): Promise<{ token: string; expiresAt: Date }> {
    const now = this.deps.clock.now();
    const token = newToken();
    const expiresAt = this.expiry(now);
    await this.deps.sessions.create({ id: randomUUID(), tokenHash: hashToken(token), now, expiresAt });
    return { token, expiresAt };
  }

  /** The live session for a token, its expiry moved forward when due; null for a missing, unknown, expired or ended one. */
  async authenticate(token: string | undefined): Promise<Session | null> {
    const proof = this.proof(token);
    return proof && this.deps.sessions.touch(proof);
  }

  async end(session: Session): Promise<void> {
    const released = await this.deps.holds.endSession(session, this.deps.clock.now());
    if (released && released.length > 0) this.deps.changes.publish({ seatIds: released, freed: true });
  }
}
