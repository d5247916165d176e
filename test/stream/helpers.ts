import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../../src/config.js';
import { buildApp } from '../../src/http/app.js';
import { createMetrics, type Metrics } from '../../src/http/metrics.js';
import type { SseOptions } from '../../src/http/sse.js';
import type { SeatFeedOptions } from '../../src/services/seat-feed.service.js';
import { createContainer, type Container } from '../../src/wiring.js';
import { ADMIN_TOKEN } from '../helpers/app.js';
import { request } from '../helpers/http.js';
import type { TestStore } from '../helpers/stores.js';

export interface LiveApp {
  app: FastifyInstance;
  container: Container;
  metrics: Metrics;
  base: string;
  env: Record<string, string>;
  call(method: string, path: string, opts?: Parameters<typeof request>[3]): ReturnType<typeof request>;
  close(): Promise<void>;
}

/** The real app on loopback (streams need a real socket), with the stream's knobs turned for tests. */
export async function liveApp(
  store: TestStore,
  o: {
    env?: Record<string, string>;
    shared?: Record<string, string>;
    stream?: Partial<SseOptions>;
    feed?: Partial<SeatFeedOptions>;
    onFeedError?: (e: unknown) => void;
  } = {},
): Promise<LiveApp> {
  const db = o.shared ? { env: o.shared, drop: () => Promise.resolve() } : await store.create();
  const config = loadConfig({
    SEED_DEMO: 'false',
    RATE_LIMIT_PER_MINUTE: '0',
    ADMIN_TOKEN,
    LOG_LEVEL: 'silent',
    ...db.env,
    ...o.env,
  });
  const container = await createContainer(config, { feed: o.feed, onFeedError: o.onFeedError });
  const metrics = createMetrics();
  const app = await buildApp(container.services, {
    adminToken: ADMIN_TOKEN,
    rateLimitPerMinute: 0,
    metrics,
    logger: false,
    stream: o.stream,
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  return {
    app,
    container,
    metrics,
    base,
    env: db.env,
    call: (method, path, opts) => request(base, method, path, opts),
    close: async () => {
      await app.close();
      await container.close();
      await db.drop();
    },
  };
}

export async function setupEvent(t: LiveApp, layout = { rows: 2, seatsPerRow: 5, price: 2500 }) {
  const created = await t.call('POST', '/api/events', {
    body: { name: 'Live event', currency: 'EUR', layout },
    admin: ADMIN_TOKEN,
  });
  const seats = await t.call('GET', `/api/seats/${created.body.eventID}`);
  const session = async () => (await t.call('POST', '/api/sessions')).body.sessionID as string;
  return {
    eventID: created.body.eventID as string,
    seatIDs: seats.body.seats.map((s: { seatID: string }) => s.seatID) as string[],
    session,
  };
}

export interface SseMessage {
  id: string | undefined;
  data: { eventID: string; seats: { seatID: string; status: string; lockUntil: string | null }[] };
  raw: string;
}

/** A server-sent events client that keeps everything it got, and the seat states those messages add up to. */
export class SseClient {
  readonly messages: SseMessage[] = [];
  readonly comments: string[] = [];
  readonly retries: number[] = [];
  readonly state = new Map<string, { status: string; lockUntil: string | null }>();
  text = '';
  ended = false;
  private buffer = '';
  private waiters: (() => void)[] = [];

  private constructor(
    readonly status: number,
    readonly headers: http.IncomingHttpHeaders,
    private readonly req: http.ClientRequest,
    readonly res: http.IncomingMessage,
  ) {
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => this.feed(chunk));
    res.on('end', () => this.finish());
    res.on('close', () => this.finish());
    res.on('error', () => this.finish());
  }

  static open(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
    return new Promise((resolve, reject) => {
      const req = http.get(url, { headers: { accept: 'text/event-stream', ...headers } }, (res) =>
        resolve(new SseClient(res.statusCode ?? 0, res.headers, req, res)),
      );
      req.on('error', reject);
    });
  }

  get lastId(): string | undefined {
    return this.messages.at(-1)?.id;
  }

  /** Waits until `check` holds, looking again after every message; fails after `timeoutMs`. */
  async until(check: () => boolean, timeoutMs = 3000, what = 'a condition'): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      const left = deadline - Date.now();
      if (left <= 0 || this.ended) {
        if (check()) return;
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 50));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  seat(id: string, status: string, timeoutMs = 3000): Promise<void> {
    return this.until(() => this.state.get(id)?.status === status, timeoutMs, `seat ${id} to be ${status}`);
  }

  close(): void {
    this.req.destroy();
  }

  private feed(chunk: string): void {
    this.text += chunk;
    this.buffer += chunk;
    let end: number;
    while ((end = this.buffer.indexOf('\n\n')) >= 0) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      this.parse(block);
    }
    this.wake();
  }

  private parse(block: string): void {
    let id: string | undefined;
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) this.comments.push(line.slice(1).trim());
      else if (line.startsWith('id: ')) id = line.slice(4);
      else if (line.startsWith('data: ')) data.push(line.slice(6));
      else if (line.startsWith('retry: ')) this.retries.push(Number(line.slice(7)));
    }
    if (data.length === 0) return;
    const parsed = JSON.parse(data.join('\n'));
    this.messages.push({ id, data: parsed, raw: block });
    for (const s of parsed.seats ?? [])
      this.state.set(s.seatID, { status: s.status, lockUntil: s.lockUntil });
  }

  private finish(): void {
    this.ended = true;
    this.wake();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    waiters.forEach((w) => w());
  }
}
