import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface Received {
  id: string;
  timestamp: string;
  body: string;
  type: string;
  data: any;
}

/**
 * A real webhook receiver on loopback, as a user would write one: it verifies every delivery with the
 * Standard Webhooks library and the secret it was given. `mode` makes it healthy, failing (500 after
 * reading the delivery, as a receiver that crashed while handling it) or hanging (never answers).
 * `down()` stops listening on its port (connection refused) and `up()` listens there again.
 */
export class WebhookReceiver {
  readonly received: Received[] = [];
  /** Deliveries whose signature did not verify: must stay empty. */
  readonly rejected: string[] = [];
  mode: 'ok' | 'fail' | 'hang' = 'ok';
  secret: string | undefined;
  private server: http.Server;
  private readonly hanging = new Set<http.ServerResponse>();
  private port = 0;

  private constructor() {
    this.server = this.make();
  }

  static async start(): Promise<WebhookReceiver> {
    const r = new WebhookReceiver();
    await r.up();
    return r;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hooks`;
  }

  /** Messages by `webhook-id`: what a receiver that deduplicates ends up with. */
  unique(): Map<string, Received> {
    return new Map(this.received.map((r) => [r.id, r]));
  }

  ofType(type: string): Received[] {
    return [...this.unique().values()].filter((r) => r.type === type);
  }

  async until(check: () => boolean, timeoutMs = 10_000, what = 'deliveries'): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  async up(): Promise<void> {
    this.server = this.make();
    await new Promise<void>((resolve) => this.server.listen(this.port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async down(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.hanging.clear();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private make(): http.Server {
    return http.createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (body += chunk));
      req.on('end', () => this.handle(req, res, body));
    });
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse, body: string): void {
    if (this.mode === 'hang') {
      this.hanging.add(res);
      return;
    }
    const headers = Object.fromEntries(
      ['webhook-id', 'webhook-timestamp', 'webhook-signature'].map((h) => [h, String(req.headers[h] ?? '')]),
    );
    let payload: { type: string; data: unknown };
    try {
      payload = new Webhook(this.secret ?? 'whsec_MISSING').verify(body, headers) as typeof payload;
    } catch (e) {
      this.rejected.push(e instanceof Error ? e.message : String(e));
      res.writeHead(400).end();
      return;
    }
    this.received.push({
      id: headers['webhook-id']!,
      timestamp: headers['webhook-timestamp']!,
      body,
      type: payload.type,
      data: payload.data,
    });
    res.writeHead(this.mode === 'ok' ? 204 : 500).end();
  }
}
