/**
 * A server-sent event stream read with fetch rather than EventSource: the stream belongs to this tab's
 * session, which travels in the X-Session-ID header (EventSource cannot send headers, and the session
 * cookie is shared by every tab of the browser). It comes back on its own after the server ends it
 * (with a `retry:`) or the connection drops.
 */
export class QueueStream {
  private controller: AbortController | undefined;
  private timer: number | undefined;

  constructor(
    private readonly url: string,
    private readonly headers: () => Record<string, string>,
    private readonly on: {
      message(data: unknown): void;
      /** The stream was refused (401, 404): not retried. */
      refused(status: number): void;
    },
  ) {}

  open(): void {
    this.close();
    void this.run();
  }

  close(): void {
    this.controller?.abort();
    this.controller = undefined;
    window.clearTimeout(this.timer);
  }

  private async run(): Promise<void> {
    const controller = new AbortController();
    this.controller = controller;
    let retryMs = 2000;
    try {
      const res = await fetch(this.url, {
        headers: { accept: 'text/event-stream', ...this.headers() },
        signal: controller.signal,
      });
      if (res.status === 401 || res.status === 404) return this.on.refused(res.status);
      if (res.ok && res.body) {
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            retryMs = this.block(buffer.slice(0, end)) ?? retryMs;
            buffer = buffer.slice(end + 2);
          }
        }
      }
    } catch {
      /* dropped: come back below, unless closed on purpose */
    }
    if (controller.signal.aborted || this.controller !== controller) return;
    this.timer = window.setTimeout(() => void this.run(), retryMs);
  }

  /** One message: its data goes out; a `retry:` in it is returned. */
  private block(block: string): number | undefined {
    let retry: number | undefined;
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith('data: ')) data.push(line.slice(6));
      else if (line.startsWith('retry: ')) retry = Number(line.slice(7)) || undefined;
    }
    if (data.length > 0) {
      try {
        this.on.message(JSON.parse(data.join('\n')));
      } catch {
        /* a malformed message is skipped: the next one says where the queue stands */
      }
    }
    return retry;
  }
}
