import type { TestProject } from 'vitest/node';
import { startRedisCluster } from '../helpers/redis-cluster.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** `host:port,…` of a 3-master Redis Cluster started for this run, or '' when none could be. */
    redisClusterNodes: string;
  }
}

/**
 * One Redis Cluster (3 masters) for the whole run, for the suites that prove the contract on it.
 * Under CI=true a cluster that cannot be started fails the run.
 */
export default async function setup(project: TestProject) {
  try {
    const cluster = await startRedisCluster({ masters: 3, replicas: 0 });
    project.provide('redisClusterNodes', cluster.nodes);
    return () => cluster.stop();
  } catch (e) {
    if (process.env.CI === 'true')
      throw new Error(`CI=true but no Redis Cluster could be started: ${String(e)}`);
    console.warn(
      `No Redis Cluster (redis-server and redis-cli needed): its suites are skipped. ${String(e)}`,
    );
    project.provide('redisClusterNodes', '');
    return undefined;
  }
}
