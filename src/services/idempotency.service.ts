import { createHash } from 'node:crypto';
import { DomainError } from '../domain/errors.js';
import type { Clock, IdempotencyRepository } from './ports.js';

const WAIT_STEP_MS = 25;
const WAIT_LIMIT_MS = 5000;
// Freeing a key after an error is tried this long in the background while the database is away.
const RELEASE_WAIT_MS = 1000;
const RELEASE_RETRY_MS = 500;
const RELEASE_GIVE_UP_MS = 120_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const idle = (ms: number) => new Promise((r) => setTimeout(r, ms).unref());

export interface Outcome {
  status: number;
  body: unknown;
}

/**
 * Runs a request once per (session, Idempotency-Key). Outcomes with effects (a sale, a recorded decline)
 * are stored and replayed; errors change nothing, so they free the key for a retry.
 */
export class IdempotencyService {
  constructor(private readonly deps: { idempotency: IdempotencyRepository; clock: Clock }) {}

  async run<T extends Outcome>(
    sessionId: string,
    key: string,
    request: unknown,
    fn: () => Promise<T>,
  ): Promise<T> {
    const hash = createHash('sha256').update(JSON.stringify(request)).digest('hex');
    const repo = this.deps.idempotency;
    for (let waited = 0; ; waited += WAIT_STEP_MS) {
      const begun = await repo.begin(sessionId, key, hash, this.deps.clock.now());
      // What was stored is what `fn` returned the first time.
      if (begun.state === 'replay') return { status: begun.statusCode, body: begun.body } as T;
      if (begun.state === 'conflict') throw new DomainError('IDEMPOTENCY_CONFLICT');
      if (begun.state === 'new') break;
      // The same request is running right now (a double click, a retry): wait for its answer.
      if (waited >= WAIT_LIMIT_MS) {
        throw new DomainError(
          'SERVICE_UNAVAILABLE',
          'A request with this Idempotency-Key is still in progress.',
        );
      }
      await sleep(WAIT_STEP_MS);
    }
    try {
      const outcome = await fn();
      await repo.complete(sessionId, key, outcome.status, outcome.body);
      return outcome;
    } catch (e) {
      await this.release(sessionId, key);
      throw e;
    }
  }

  /**
   * Frees the key after an error. The usual error here is the database going away, and then the key
   * cannot be freed right now: keep trying in the background, or every retry with this key would be
   * turned away as "in progress" long after the database is back. The answer does not wait for it.
   */
  private async release(sessionId: string, key: string): Promise<void> {
    const attempt = () =>
      this.deps.idempotency.abandon(sessionId, key).then(
        () => true,
        () => false,
      );
    const first = attempt();
    if (await Promise.race([first, idle(RELEASE_WAIT_MS).then(() => false)])) return;
    void (async () => {
      if (await first) return;
      for (const end = Date.now() + RELEASE_GIVE_UP_MS; Date.now() < end;) {
        await idle(RELEASE_RETRY_MS);
        if (await attempt()) return;
      }
    })();
  }
}
