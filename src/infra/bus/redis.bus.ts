import { randomBytes } from 'node:crypto';
import type { SeatChangeBus } from '../../services/ports.js';
import { encodeNotices, othersNotices } from './codec.js';
import { LocalListeners } from './memory.bus.js';
import { Outbox } from './outbox.js';
import { duplicateRedis, type RedisConnection } from '../redis/client.js';

const READY_WAIT_MS = 2500;

export interface RedisBusOptions {
  /** The service's Redis client: the bus opens its own two connections with the same settings. */
  redis: RedisConnection;
  /** Namespaces the channel, as REDIS_KEY_PREFIX namespaces keys (several deployments, one Redis). */
  prefix: string;
  onError?: (e: unknown) => void;
}

/**
 * Notices between instances through Redis pub/sub. A subscribed connection can do nothing else, so
 * it is a connection of its own; publishing gets one too, so that a slow publish never queues behind
 * a hold's script. After a reconnect (ioredis subscribes again by itself) the listeners are told they
 * may have missed notices.
 */
export async function redisBus(o: RedisBusOptions): Promise<SeatChangeBus> {
  const instance = randomBytes(6).toString('base64url');
  const channel = `${o.prefix}seat-changes`;
  const onError = o.onError ?? (() => undefined);
  const local = new LocalListeners();
  // No key prefix: ioredis would not apply it to channel names consistently; the channel carries it.
  const publisher = duplicateRedis(o.redis, { keyPrefix: '' });
  const subscriber = duplicateRedis(o.redis, { keyPrefix: '', enableOfflineQueue: true });
  publisher.on('error', () => undefined);
  subscriber.on('error', () => undefined);

  const outbox = new Outbox({
    send: async (payloads) => {
      const pipeline = publisher.pipeline();
      for (const p of payloads) pipeline.publish(channel, p);
      const results = (await pipeline.exec()) ?? [];
      const failed = results.find(([e]) => e)?.[0];
      if (failed) throw failed;
    },
    encode: (notices) => encodeNotices(instance, notices),
    onError,
  });

  subscriber.on('message', (from: string, payload: string) => {
    if (from === channel) for (const n of othersNotices(instance, payload)) local.notice(n);
  });
  let readyBefore = false;
  subscriber.on('ready', () => {
    if (readyBefore) local.gap();
    readyBefore = true;
  });
  // Waited for briefly, so that a change right after start is heard; a Redis that is down keeps
  // the subscription queued until it is back.
  await Promise.race([
    subscriber.subscribe(channel).catch(onError),
    new Promise((r) => setTimeout(r, READY_WAIT_MS).unref()),
  ]);

  return {
    publish(notice) {
      local.notice(notice);
      outbox.push(notice);
    },
    subscribe: (listener) => local.add(listener),
    async close() {
      await outbox.close();
      local.clear();
      for (const c of [subscriber, publisher]) {
        await c.quit().catch(() => undefined);
        c.disconnect();
      }
    },
  };
}
