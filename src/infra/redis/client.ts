import { Cluster, Redis, type ClusterOptions, type Command, type RedisOptions } from 'ioredis';
import { DomainError } from '../../domain/errors.js';
import { defineHoldScripts, type HoldScripts } from './scripts.js';

/** One Redis, or a Redis Cluster: the service uses both alike (every script touches one slot). */
export type RedisConnection = Redis | Cluster;
export type RedisClient = RedisConnection & HoldScripts;

/** Where Redis is: `REDIS_URL`, or the seed nodes of a cluster (`REDIS_CLUSTER_NODES`). */
export type RedisTarget = { url: string } | { nodes: { host: string; port: number }[] };

export function parseClusterNodes(list: string): { host: string; port: number }[] {
  return list.split(',').map((n) => {
    const at = n.lastIndexOf(':');
    return { host: n.slice(0, at).trim(), port: Number(n.slice(at + 1)) };
  });
}

const CONNECT_TIMEOUT_MS = 2000;
// A lost or hung Redis must turn into a quick 503, not a request that waits: every command gets at
// most this long, is retried at most once, and is refused at once (no offline queue) while disconnected.
const COMMAND_TIMEOUT_MS = 1000;
const MAX_RECONNECT_DELAY_MS = 1000;

/**
 * Opens the client and waits (briefly) for it to be ready. A Redis that is down at start does not stop
 * the server: holds answer 503 and /readyz says so until the client, which reconnects forever, gets back.
 */
export async function connectRedis(target: RedisTarget, keyPrefix: string): Promise<RedisClient> {
  // The classic replies (not RESP3's mapping): what the scripts' callers decode, and what a subclass of
  // Redis (BatchedRedis) is typed for.
  const options: RedisOptions & { replyMapping?: 'legacy' } = {
    connectTimeout: CONNECT_TIMEOUT_MS,
    commandTimeout: COMMAND_TIMEOUT_MS,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    // Not ioredis's auto-pipelining: it builds a pipeline per turn of the event loop, which gained nothing
    // for a one-script lock at full load, cost a fifth more CPU per lock at half of it, and kept every
    // batched command alive long enough to be promoted out of the young generation (docs/performance.md).
    // On a cluster it would also route a script by its key count rather than its key. A single Redis gets
    // the one write per turn without a pipeline (BatchedRedis, below).
    enableAutoPipelining: false,
    retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, MAX_RECONNECT_DELAY_MS),
  };
  const redis =
    'url' in target
      ? new BatchedRedis(target.url, { ...options, keyPrefix })
      : new Cluster(target.nodes, clusterOptions(options, keyPrefix));
  // Connection errors reach callers as failed commands (503) and /readyz; without a listener, ioredis
  // would print each reconnect attempt to stderr.
  redis.on('error', () => undefined);
  defineHoldScripts(redis);
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, CONNECT_TIMEOUT_MS + 500);
    redis.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  return redis as RedisClient;
}

/**
 * One Redis whose commands issued in one turn of the event loop leave in one socket write: the socket is
 * corked at the turn's first command and uncorked once the turn's I/O is done (setImmediate). A socket
 * write is a system call that also carries the data through loopback TCP to Redis: written one command at
 * a time, they cost the service as much as the rest of a lock's way through the client.
 */
class BatchedRedis extends Redis {
  private corked = false;

  override sendCommand(command: Command, stream?: Parameters<Redis['sendCommand']>[1]): unknown {
    const socket = this.stream;
    if (!this.corked && !stream && socket && this.status === 'ready') {
      this.corked = true;
      socket.cork();
      setImmediate(() => {
        this.corked = false;
        socket.uncork();
      });
    }
    return super.sendCommand(command, stream);
  }
}

/**
 * A cluster client: commands go to the master of their slot (reads too: a replica may lag behind a hold),
 * and a failover (a replica promoted) is followed by refreshing the slot map; meanwhile commands fail
 * fast, so requests answer 503 for those seconds rather than wait.
 */
function clusterOptions(redisOptions: RedisOptions, keyPrefix: string): ClusterOptions {
  return {
    keyPrefix,
    redisOptions,
    scaleReads: 'master',
    enableOfflineQueue: false,
    maxRedirections: 4,
    retryDelayOnFailover: 100,
    retryDelayOnClusterDown: 100,
    slotsRefreshTimeout: CONNECT_TIMEOUT_MS,
    clusterRetryStrategy: (attempt) => Math.min(50 * 2 ** attempt, MAX_RECONNECT_DELAY_MS),
  };
}

/** A second connection to the same Redis (or cluster), e.g. for pub/sub, with some options changed. */
export function duplicateRedis(redis: RedisConnection, options: RedisOptions): RedisConnection {
  if (redis instanceof Cluster) {
    const { keyPrefix, enableOfflineQueue } = options;
    return redis.duplicate([], {
      ...(keyPrefix !== undefined && { keyPrefix }),
      ...(enableOfflineQueue !== undefined && { enableOfflineQueue }),
    });
  }
  return redis.duplicate(options);
}

export async function closeRedis(redis: RedisConnection): Promise<void> {
  await redis.quit().catch(() => undefined);
  redis.disconnect();
}

// Replies that mean "this Redis cannot serve right now", as opposed to a bug in a command or script.
const TRANSIENT_REPLY = /^(LOADING|BUSY|READONLY|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|NOREPLICAS|MOVED|ASK)\b/;

/** Whether a Redis failure is about reaching Redis (connection, timeout) rather than a bad command. */
export function isRedisUnavailable(e: unknown): boolean {
  if (!(e instanceof Error)) return false;
  if (e.name !== 'ReplyError') return true;
  return TRANSIENT_REPLY.test(e.message);
}

/** Runs a Redis call; a lost Redis becomes the 503 the client can retry, anything else stays a bug. */
export async function guard<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (e) {
    if (isRedisUnavailable(e))
      throw new DomainError('SERVICE_UNAVAILABLE', 'Seat holds are unavailable: retry shortly.');
    throw e;
  }
}
