import { createHash } from 'node:crypto';
import { DomainError } from '../domain/errors.js';
import type { Clock, IdempotencyRepository } from './ports.js';

const WAIT_STEP_MS = 25;
const WAIT_LIMIT_MS = 5000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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
      await repo.abandon(sessionId, key).catch(() => undefined);
      throw e;
    }
  }
}
