import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One PgBouncer (transaction mode) for the suites that also run through it.
    globalSetup: ['test/setup/pgbouncer.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores: more workers only fight over the CPU with the databases they test against.
    maxWorkers: 2,
  },
});
