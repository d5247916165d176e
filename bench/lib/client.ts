import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import { Recorder, type LatencySummary } from './stats.js';

export interface Reply {
  status: number;
  // Answers are read as loose JSON: the bench checks statuses, the contract tests check shapes.
  // With `raw`, the bytes as they came (undici does not decode a Content-Encoding).
  body: any;
  headers: Record<string, string | string[] | undefined>;
  ms: number;
}

export interface CallOptions {
  session?: string;
  admin?: string;
  body?: unknown;
  /** Not timed (setup calls). */
  untimed?: boolean;
  /** More request headers (If-None-Match, Accept-Encoding). */
  headers?: Record<string, string>;
  /** Keep the body as a Buffer of the bytes received, not parsed. */
  raw?: boolean;
}

/**
 * One keep-alive connection pool to the service, at most `connections` requests in flight.
 * Every timed call lands in a recorder named after its endpoint.
 */
export class ApiClient {
  private readonly pool: Pool;
  private readonly recorders = new Map<string, Recorder>();
  recording = true;
  networkErrors = 0;

  constructor(origin: string, connections: number) {
    this.pool = new Pool(origin, { connections, pipelining: 1, keepAliveTimeout: 60_000 });
  }

  async call(
    endpoint: string,
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    o: CallOptions = {},
  ): Promise<Reply> {
    const headers: Record<string, string> = { ...o.headers };
    let body: string | undefined;
    if (o.body !== undefined) {
      body = JSON.stringify(o.body);
      headers['content-type'] = 'application/json';
    }
    if (o.session) headers['x-session-id'] = o.session;
    if (o.admin) headers.authorization = `Bearer ${o.admin}`;
    const t0 = performance.now();
    let status = 0;
    let bytes = Buffer.alloc(0);
    let replyHeaders: Reply['headers'] = {};
    try {
      const res = await this.pool.request({ path, method, headers, body });
      status = res.statusCode;
      replyHeaders = res.headers;
      bytes = Buffer.from(await res.body.arrayBuffer());
    } catch {
      this.networkErrors++;
    }
    const ms = performance.now() - t0;
    if (this.recording && !o.untimed) this.recorder(endpoint).add(ms, status);
    if (o.raw) return { status, body: bytes, headers: replyHeaders, ms };
    const text = bytes.toString('utf8');
    let parsed: unknown = null;
    if (text) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    return { status, body: parsed, headers: replyHeaders, ms };
  }

  recorder(endpoint: string): Recorder {
    let r = this.recorders.get(endpoint);
    if (!r) this.recorders.set(endpoint, (r = new Recorder()));
    return r;
  }

  reset(): void {
    this.recorders.clear();
  }

  summaries(): Record<string, LatencySummary> {
    return Object.fromEntries([...this.recorders].map(([k, r]) => [k, r.summary()]));
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

/** Runs `fn` over `items` with at most `limit` at once (setup calls). */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (t: T) => Promise<R>) {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
export const randInt = (lo: number, hi: number) => lo + Math.floor(Math.random() * (hi - lo + 1));

/** CPU used by this process over a window, as a share of one core. */
export function cpuWindow() {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  return () => {
    const d = process.cpuUsage(cpu0);
    const wallMs = performance.now() - t0;
    const cpuMs = (d.user + d.system) / 1000;
    return { cpuMs: Math.round(cpuMs), wallMs: Math.round(wallMs), share: wallMs > 0 ? cpuMs / wallMs : 0 };
  };
}

export type CpuShare = ReturnType<ReturnType<typeof cpuWindow>>;
