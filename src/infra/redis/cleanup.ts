import type { CleanupRepository } from '../../services/ports.js';
import type { RedisHoldStore } from './hold-store.js';

/**
 * The cleanup job in Redis mode. Expired holds need no job (PX drops them); but the holds of a session
 * that expired, or ended while Redis was down, would otherwise block their seats until their own deadline.
 * The database's own sweep still runs, for holds left in the seats table by an earlier database-mode run.
 */
export function withHoldSweep(base: CleanupRepository, holds: RedisHoldStore): CleanupRepository {
  return {
    ...base,
    async releaseDeadSessions(now, limit) {
      const inDatabase = await base.releaseDeadSessions(now, limit);
      return [...inDatabase, ...(await holds.sweepDeadSessions(now, limit))];
    },
  };
}
