import { Redis } from 'ioredis';
import { DomainError } from '../../domain/errors.js';
import { defineHoldScripts, type HoldScripts } from './scripts.js';

export type RedisClient = Redis & HoldScripts;

const CONNECT_TIMEOUT_MS = 2000;
// A lost or hung Redis must turn into a quick 503, not a request that waits: every command gets at
// most this long, is retried at most once, and is refused at once (no offline queue) while disconnected.
const COMMAND_TIMEOUT_MS = 1000;
const MAX_RECONNECT_DELAY_MS = 1000;

/**
 * Opens the client and waits (briefly) for it to be ready. A Redis that is down at start does not stop
 * the server: holds answer 503 and /readyz says so until the client, which reconnects forever, gets back.
 */
export async function connectRedis(url: string, keyPrefix: string): Promise<RedisClient> {
  const redis = new Redis(url, {
    keyPrefix,
    connectTimeout: CONNECT_TIMEOUT_MS,
    commandTimeout: COMMAND_TIMEOUT_MS,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, MAX_RECONNECT_DELAY_MS),
  });
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

export async function closeRedis(redis: Redis): Promise<void> {
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
