import type { FastifyInstance } from 'fastify';
import { loadConfig, type Config } from '../../src/config.js';
import { buildApp } from '../../src/http/app.js';
import { createMetrics, type Metrics } from '../../src/http/metrics.js';
import { ManualClock } from '../../src/infra/clock.js';
import { TestPaymentGateway } from '../../src/infra/payments/test-gateway.js';
import type { Clock, PaymentGateway, Telemetry } from '../../src/services/ports.js';
import type { WaitingRoomOverrides } from '../../src/services/waiting-rooms.js';
import { createContainer, type Container, type Overrides } from '../../src/wiring.js';
import type { TestStore } from './stores.js';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';

export interface TestApp {
  app: FastifyInstance;
  container: Container;
  config: Config;
  payments: TestPaymentGateway;
  clock: Clock;
  api: Api;
  close(): Promise<void>;
}

export interface StartOptions {
  env?: Record<string, string>;
  clock?: Clock | 'manual';
  payments?: PaymentGateway;
  telemetry?: Telemetry;
  metrics?: Metrics;
  onServerError?: () => void;
  /** The webhook worker's timing and reports (`pollMs: 0`: driven by hand with container.webhooks.runOnce). */
  webhookDelivery?: Overrides['webhookDelivery'];
  onWebhook?: Overrides['onWebhook'];
  /** Reuse a database made by an earlier start (a second instance, or a restart). */
  shared?: { env: Record<string, string> };
  queue?: WaitingRoomOverrides;
}

/** Builds the real app on a fresh database of the given store. */
export async function startApp(
  store: TestStore,
  opts: StartOptions = {},
): Promise<TestApp & { dbEnv: Record<string, string> }> {
  const db = opts.shared ? { env: opts.shared.env, drop: () => Promise.resolve() } : await store.create();
  const config = loadConfig({
    SEED_DEMO: 'false',
    RATE_LIMIT_PER_MINUTE: '0',
    ADMIN_TOKEN,
    LOG_LEVEL: 'silent',
    ...db.env,
    ...opts.env,
  });
  const clock = opts.clock === 'manual' ? new ManualClock() : (opts.clock ?? { now: () => new Date() });
  const payments = new TestPaymentGateway();
  const container = await createContainer(config, {
    clock,
    payments: opts.payments ?? payments,
    ...(opts.telemetry && { telemetry: opts.telemetry }),
    webhookDelivery: opts.webhookDelivery,
    onWebhook: opts.onWebhook,
    ...(opts.queue && { queue: opts.queue }),
  });
  const app = await buildApp(container.services, {
    adminToken: ADMIN_TOKEN,
    rateLimitPerMinute: config.RATE_LIMIT_PER_MINUTE,
    sessionsPerMinutePerIp: config.SESSIONS_PER_MINUTE_PER_IP,
    trustProxy: config.TRUST_PROXY,
    metrics: opts.metrics ?? createMetrics(),
    ...(opts.onServerError && { onServerError: opts.onServerError }),
    logger: false,
  });
  await app.ready();
  return {
    app,
    container,
    config,
    payments,
    clock,
    dbEnv: db.env,
    api: new Api(app),
    close: async () => {
      await app.close();
      await container.close();
      if (!opts.shared) await db.drop();
    },
  };
}

export interface Res<T = any> {
  status: number;
  body: T;
  headers: Record<string, string | string[] | number | undefined>;
}

/** A small client over app.inject, so tests read like the HTTP they send. */
export class Api {
  constructor(private readonly app: FastifyInstance) {}

  async call<T = any>(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    url: string,
    opts: { body?: unknown; session?: string; admin?: boolean; headers?: Record<string, string> } = {},
  ): Promise<Res<T>> {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.session) headers['x-session-id'] = opts.session;
    if (opts.admin) headers.authorization = `Bearer ${ADMIN_TOKEN}`;
    const res = await this.app.inject({
      method,
      url,
      headers,
      ...(opts.body !== undefined ? { payload: opts.body as object } : {}),
    });
    const text = res.body;
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON: keep the text */
    }
    return { status: res.statusCode, body: body as T, headers: res.headers };
  }

  get = <T = any>(url: string, opts?: Parameters<Api['call']>[2]) => this.call<T>('GET', url, opts);
  post = <T = any>(url: string, body?: unknown, opts?: Parameters<Api['call']>[2]) =>
    this.call<T>('POST', url, { ...opts, body });
  delete = <T = any>(url: string, opts?: Parameters<Api['call']>[2]) => this.call<T>('DELETE', url, opts);

  async session(): Promise<string> {
    const res = await this.post<{ sessionID: string }>('/api/sessions');
    return res.body.sessionID;
  }

  async customer(name = 'Ada'): Promise<string> {
    return (await this.post<{ customerID: string }>('/api/customers', { name })).body.customerID;
  }

  async event(
    layout = { rows: 2, seatsPerRow: 5, price: 2500 },
    currency = 'EUR',
  ): Promise<{ eventID: string; seatIDs: string[] }> {
    const created = await this.post<{ eventID: string }>(
      '/api/events',
      { name: 'Test event', currency, layout },
      { admin: true },
    );
    const seats = await this.get<{ seats: { seatID: string }[] }>(`/api/seats/${created.body.eventID}`);
    return { eventID: created.body.eventID, seatIDs: seats.body.seats.map((s) => s.seatID) };
  }
}
