import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { FeedMessage } from '../domain/seat-feed.js';

export interface SseOptions {
  /** A comment line this often keeps proxies and load balancers from closing an idle stream. */
  heartbeatMs: number;
  /** The `retry:` the browser waits before reconnecting (after a drop, or a shutdown). */
  retryMs: number;
  /**
   * Bytes a viewer may have waiting in this process (beyond what the kernel has taken) before it
   * counts as too slow and is dropped, to reconnect and catch up from the log or a snapshot.
   */
  maxBufferedBytes: number;
}

export const DEFAULT_SSE_OPTIONS: SseOptions = {
  heartbeatMs: 15_000,
  retryMs: 2000,
  maxBufferedBytes: 512 * 1024,
};

/** What a stream sends: an ID and the JSON of the message (seat changes, or a queue's progress). */
export type StreamMessage = Pick<FeedMessage, 'id' | 'data'>;

// One encoding per message, however many viewers it goes to.
const frames = new WeakMap<StreamMessage, Buffer>();
function frameOf(m: StreamMessage): Buffer {
  let frame = frames.get(m);
  if (!frame) frames.set(m, (frame = Buffer.from(`id: ${m.id}\ndata: ${m.data}\n\n`)));
  return frame;
}

/**
 * One viewer's stream. Writes never wait: a viewer whose backlog passes the bound is cut off, so a
 * slow phone costs only its own reconnect, never the bookings or the other viewers.
 */
export class SseConnection {
  private started = false;
  private closed = false;
  private early: Buffer[] = [];
  private heartbeat: NodeJS.Timeout | undefined;
  // A snapshot may be bigger than the bound on its own: it is allowed until the socket drains it.
  private allowance = 0;

  constructor(
    private readonly res: ServerResponse,
    private readonly opts: SseOptions,
    private readonly onClose: (dropped: boolean) => void,
  ) {}

  send(message: StreamMessage): void {
    this.write(frameOf(message));
  }

  /** Sends the headers and anything that came before them; from now on messages go straight out. */
  start(headers: Record<string, OutgoingHttpHeaders[string]>): void {
    if (this.closed) return;
    const { res } = this;
    res.on('close', () => this.close(false));
    res.on('drain', () => (this.allowance = 0));
    if (res.destroyed) return this.close(false);
    res.writeHead(200, {
      ...headers,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      // nginx would otherwise buffer the stream and deliver it in lumps.
      'x-accel-buffering': 'no',
    });
    this.started = true;
    this.write(Buffer.from(`retry: ${this.opts.retryMs}\n\n`));
    for (const frame of this.early) this.write(frame);
    this.early = [];
    this.heartbeat = setInterval(() => this.write(Buffer.from(': keep-alive\n\n')), this.opts.heartbeatMs);
    this.heartbeat.unref();
  }

  /** Ends the stream cleanly, asking the browser to come back after `retryMs` (to another instance). */
  end(retryMs = this.opts.retryMs): void {
    if (this.closed) return;
    if (this.started) this.res.end(`retry: ${retryMs}\n\n`);
    else this.res.destroy();
    this.close(false);
  }

  private write(frame: Buffer): void {
    if (this.closed) return;
    if (!this.started) {
      this.early.push(frame);
      return;
    }
    if (this.res.writableLength > this.opts.maxBufferedBytes + this.allowance) {
      this.res.destroy();
      this.close(true);
      return;
    }
    if (frame.length > this.opts.maxBufferedBytes) this.allowance += frame.length;
    this.res.write(frame);
  }

  private close(dropped: boolean): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeat);
    this.early = [];
    this.onClose(dropped);
  }
}
