import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Engines the suites also run on, started once per run: a Redis Cluster, and PgBouncer (transaction mode).
    globalSetup: ['test/setup/redis-cluster.ts', 'test/setup/pgbouncer.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores: more workers only fight over the CPU with the databases they test against.
    maxWorkers: 2,
  },
});
