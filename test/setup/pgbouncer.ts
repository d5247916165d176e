import type { TestProject } from 'vitest/node';
import { pgbouncerBinary, startPgbouncer } from '../helpers/pgbouncer.js';
import { postgresAdminUrl } from '../helpers/stores.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The port of the PgBouncer the suites share (transaction mode), or 0 without one. */
    pgbouncerPort: number;
  }
}

/**
 * One PgBouncer for the whole run, in front of the test PostgreSQL. Under CI=true a missing pgbouncer
 * fails the run; elsewhere its suites are skipped, with a warning.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const bin = pgbouncerBinary();
  if (!bin) {
    const message = 'pgbouncer not found (apt-get install pgbouncer, or set PGBOUNCER_BIN)';
    if (process.env.CI === 'true') throw new Error(`CI=true: ${message}`);
    console.warn(`${message}: the PgBouncer suites are skipped (they never are under CI=true)`);
    project.provide('pgbouncerPort', 0);
    return async () => undefined;
  }
  const bouncer = await startPgbouncer(bin, postgresAdminUrl);
  project.provide('pgbouncerPort', bouncer.port);
  return () => bouncer.stop();
}
