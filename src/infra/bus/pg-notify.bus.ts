import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { SeatChangeBus } from '../../services/ports.js';
import type { Queryable } from '../db/db.js';
import { encodeNotices, othersNotices } from './codec.js';
import { LocalListeners } from './memory.bus.js';
import { Outbox } from './outbox.js';

export const PG_CHANNEL = 'seat_changes';
const CONNECT_TIMEOUT_MS = 3000;
const MAX_RECONNECT_DELAY_MS = 5000;
const PROBE_TIMEOUT_MS = 2000;

export interface PgNotifyOptions {
  connectionString: string;
  /** Where NOTIFY is sent: the service's pool. */
  db: Queryable;
  onError?: (e: unknown) => void;
  /** While LISTEN hears nothing, how often every watched event is re-read instead. */
  pollMs?: number;
}

/**
 * Notices between instances through PostgreSQL: NOTIFY on the pool, LISTEN on one dedicated
 * connection (a pooled one would be handed to other queries and lose the subscription). A lost
 * LISTEN connection reconnects with backoff, and tells the listeners that they may have missed
 * notices, so that they re-read what they show.
 *
 * Each new LISTEN connection is tested with a NOTIFY of its own through the pool. Through a pooler in
 * transaction mode (PgBouncer) LISTEN succeeds but the server connection goes back to the pool at once,
 * and nothing is ever heard: then the listeners are told to re-read every `pollMs` (live updates from
 * other instances arrive late, never wrong) until a test notice gets through.
 */
export async function pgNotifyBus(o: PgNotifyOptions): Promise<SeatChangeBus> {
  const instance = randomBytes(6).toString('base64url');
  const onError = o.onError ?? (() => undefined);
  const local = new LocalListeners();
  const pollMs = o.pollMs ?? 2000;
  // Not a notice (other instances drop it as malformed): heard on our LISTEN, it proves that LISTEN works.
  const probe = `probe:${instance}`;
  const sendProbe = () => o.db.query('SELECT pg_notify($1, $2)', [PG_CHANNEL, probe]);
  let probeHeard: (() => void) | undefined;
  let polling: NodeJS.Timeout | undefined;
  const outbox = new Outbox({
    send: async (payloads) => {
      await o.db.query('SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p', [PG_CHANNEL, payloads]);
    },
    encode: (notices) => encodeNotices(instance, notices),
    onError,
  });

  let client: pg.Client | undefined;
  let closed = false;
  let attempt = 0;
  let connectedBefore = false;
  let reconnectTimer: NodeJS.Timeout | undefined;

  const scheduleReconnect = () => {
    if (closed || reconnectTimer) return;
    const delay = Math.min(100 * 2 ** attempt++, MAX_RECONNECT_DELAY_MS);
    reconnectTimer = setTimeout(() => {
      reconnectTimer = undefined;
      void listen();
    }, delay).unref();
  };

  async function listen(): Promise<void> {
    const c = new pg.Client({
      connectionString: o.connectionString,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      keepAlive: true,
    });
    c.on('notification', (msg) => {
      if (msg.channel !== PG_CHANNEL || !msg.payload) return;
      if (msg.payload === probe) return heard();
      for (const n of othersNotices(instance, msg.payload)) local.notice(n);
    });
    c.on('error', onError);
    c.on('end', () => {
      // Only the connection in use reconnects; one that failed to start has already asked to.
      if (client !== c) return;
      client = undefined;
      scheduleReconnect();
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${PG_CHANNEL}`);
    } catch (e) {
      onError(e);
      await c.end().catch(() => undefined);
      scheduleReconnect();
      return;
    }
    if (closed) return void (await c.end().catch(() => undefined));
    client = c;
    attempt = 0;
    // Whatever was published while we were not listening is lost: have the viewers re-read.
    if (connectedBefore) local.gap();
    connectedBefore = true;
    await verify();
  }

  function heard(): void {
    probeHeard?.();
    clearInterval(polling);
    polling = undefined;
  }

  async function verify(): Promise<void> {
    const ok = new Promise<boolean>((resolve) => {
      probeHeard = () => resolve(true);
      setTimeout(() => resolve(false), PROBE_TIMEOUT_MS).unref();
    });
    await sendProbe().catch(onError);
    const listening = await ok;
    probeHeard = undefined;
    if (listening || polling || closed) return;
    onError(
      new Error(
        'LISTEN receives no notifications (is DATABASE_URL a pooler in transaction mode? Set ' +
          `DATABASE_DIRECT_URL): watched events are re-read every ${pollMs} ms instead`,
      ),
    );
    polling = setInterval(() => {
      local.gap();
      sendProbe().catch(() => undefined);
    }, pollMs).unref();
  }

  // Waited for once, so that a change right after start reaches this instance; a database that is
  // down at start does not stop it: the listener keeps trying in the background.
  await listen();
  connectedBefore = true;

  return {
    publish(notice) {
      local.notice(notice);
      outbox.push(notice);
    },
    subscribe: (listener) => local.add(listener),
    async close() {
      closed = true;
      clearTimeout(reconnectTimer);
      clearInterval(polling);
      await outbox.close();
      local.clear();
      await client?.end().catch(() => undefined);
    },
  };
}
