/**
 * The load generator, in its own process so that its CPU is its own: the orchestrator forks it with one
 * job, it answers with the figures and exits.
 */
import type { Mark } from './scenarios/common.js';
import { lockOnly, type LockOnlyParams } from './scenarios/lock-only.js';
import { bareHttp, mapReads, type BareParams, type MapParams } from './scenarios/reads.js';
import { rush, type RushParams } from './scenarios/rush.js';
import { steady, type SteadyParams } from './scenarios/steady.js';

export type Job =
  | { kind: 'rush'; params: RushParams }
  | { kind: 'steady'; params: SteadyParams }
  | { kind: 'map'; params: MapParams }
  | { kind: 'bare'; params: BareParams }
  | { kind: 'lock-only'; params: LockOnlyParams };

const mark: Mark = (m) => process.send?.({ mark: m });

async function run(job: Job): Promise<unknown> {
  switch (job.kind) {
    case 'rush':
      return rush(job.params, mark);
    case 'steady':
      return steady(job.params, mark);
    case 'map':
      return mapReads(job.params, mark);
    case 'bare':
      return bareHttp(job.params, mark);
    case 'lock-only':
      return lockOnly(job.params, mark);
  }
}

process.once('message', (job: Job) => {
  run(job).then(
    (result) => process.send?.({ ok: true, result }, () => process.exit(0)),
    (e: unknown) =>
      process.send?.({ ok: false, error: e instanceof Error ? (e.stack ?? e.message) : String(e) }, () =>
        process.exit(1),
      ),
  );
});
