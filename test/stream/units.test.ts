import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { describe, expect, it, vi } from 'vitest';
import { feedMessage, idSource, parseEventId, StreamLog } from '../../src/domain/seat-feed.js';
import {
  decodeNotices,
  encodeNotices,
  MAX_PAYLOAD_BYTES,
  othersNotices,
  sentBy,
} from '../../src/infra/bus/codec.js';
import { Outbox } from '../../src/infra/bus/outbox.js';
import { SseConnection } from '../../src/http/sse.js';
import { EventChannel } from '../../src/services/seat-feed-channel.js';
import type { SeatChange } from '../../src/domain/seat-feed.js';
import type { SeatChangeNotice } from '../../src/services/ports.js';

const uuid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const msg = (id: number, seats = 1) =>
  feedMessage(
    id,
    'e',
    Array.from({ length: seats }, (_, i) => ({ seatID: uuid(i), status: 'available', lockUntil: null })),
  );

describe('stream IDs and the log', () => {
  it('IDs rise strictly even when the clock stands still or steps back', () => {
    let now = 1_000;
    const next = idSource(() => now);
    const a = next();
    const b = next();
    now = 900;
    const c = next();
    now = 2_000;
    expect([a, b, c, next()]).toEqual([1_000_000, 1_000_001, 1_000_002, 2_000_000]);
  });

  it('replays what follows an ID it still reaches, else asks for a snapshot', () => {
    const log = new StreamLog(100, { maxEntries: 3, maxBytes: 1e6, replayMarginIds: 0 });
    for (const id of [101, 102, 103, 104]) log.append(msg(id));
    expect(log.lastId).toBe(104);
    expect(log.replay(102, 200)?.map((m) => m.id)).toEqual([103, 104]);
    expect(log.replay(104, 200)).toEqual([]);
    expect(log.replay(100, 200)).toBeNull(); // 101 was evicted
    expect(log.replay(1e9, 200)).toBeNull(); // from the future
  });

  it('replays a margin before a resumed ID (another instance may be a little ahead)', () => {
    const log = new StreamLog(0, { maxEntries: 10, maxBytes: 1e6, replayMarginIds: 5 });
    for (const id of [10, 20, 30]) log.append(msg(id));
    expect(log.replay(27, 100)?.map((m) => m.id)).toEqual([30]);
    expect(log.replay(24, 100)?.map((m) => m.id)).toEqual([20, 30]);
  });

  it('is bounded by bytes too', () => {
    const log = new StreamLog(0, { maxEntries: 100, maxBytes: 5000, replayMarginIds: 0 });
    for (let id = 1; id <= 10; id++) log.append(msg(id, 20));
    const kept = log.replay(log.lastId - 1, 100)!;
    expect(kept.length).toBe(1);
    expect(log.replay(1, 100)).toBeNull();
  });

  it('reads Last-Event-ID leniently: digits or nothing', () => {
    expect(parseEventId(' 123 ')).toBe(123);
    for (const bad of [undefined, '', 'abc', '-1', '1e5', '9'.repeat(17)])
      expect(parseEventId(bad)).toBeUndefined();
  });
});

describe('notices on the wire', () => {
  /** The notices read back from payloads, a notice split across payloads joined again. */
  const readBack = (payloads: string[]) => {
    const seats = new Map<string, string[]>();
    for (const p of payloads) {
      const decoded = decodeNotices(p)!;
      expect(decoded.instance).toBe('inst');
      for (const n of decoded.notices) {
        const key = n.eventId ?? '-';
        seats.set(key, [...(seats.get(key) ?? []), ...n.seatIds]);
      }
    }
    return seats;
  };

  it('splits a big notice under the NOTIFY limit and reads it back', () => {
    const seatIds = Array.from({ length: 1000 }, (_, i) => uuid(i));
    const payloads = encodeNotices('inst', [{ eventId: uuid(9999), seatIds }]);
    expect(payloads.length).toBeGreaterThan(4);
    for (const p of payloads) expect(Buffer.byteLength(p)).toBeLessThanOrEqual(MAX_PAYLOAD_BYTES);
    expect(readBack(payloads)).toEqual(new Map([[uuid(9999), seatIds]]));
    expect(decodeNotices(encodeNotices('i', [{ seatIds: ['a'] }])[0]!)).toEqual({
      instance: 'i',
      notices: [{ seatIds: ['a'] }],
    });
  });

  it('packs the notices of many events into as few payloads as fit, each under the limit', () => {
    for (const limit of [300, 1000, MAX_PAYLOAD_BYTES]) {
      const notices = Array.from({ length: 150 }, (_, e) => ({
        eventId: uuid(100_000 + e),
        seatIds: Array.from({ length: 1 + (e % 7) }, (_, i) => uuid(e * 10 + i)),
      }));
      const payloads = encodeNotices('inst', [...notices, { seatIds: [uuid(99)] }], limit);
      for (const p of payloads) expect(Buffer.byteLength(p)).toBeLessThanOrEqual(limit);
      const bytes = payloads.reduce((n, p) => n + Buffer.byteLength(p), 0);
      // Full payloads: no more of them than the bytes need, plus one for the rounding of each split.
      expect(payloads.length).toBeLessThanOrEqual(Math.ceil(bytes / (limit * 0.8)) + 1);
      expect(readBack(payloads)).toEqual(
        new Map([...notices.map((n) => [n.eventId, n.seatIds] as const), ['-', [uuid(99)]]]),
      );
    }
    expect(encodeNotices('inst', [])).toEqual([]);
  });

  it("tells an instance's own payloads from others' before decoding", () => {
    const [mine] = encodeNotices('abc', [{ eventId: 'ev', seatIds: ['a'] }]);
    expect(sentBy('abc', mine!)).toBe(true);
    expect(sentBy('ab', mine!)).toBe(false);
    expect(sentBy('abcd', mine!)).toBe(false);
    expect(sentBy('abc', 'probe:abc')).toBe(false);
    // What a listening instance delivers: others' notices only, nothing of its own or of malformed payloads.
    expect(othersNotices('abc', mine!)).toEqual([]);
    expect(othersNotices('xyz', mine!)).toEqual([{ eventId: 'ev', seatIds: ['a'] }]);
    expect(othersNotices('xyz', 'probe:abc')).toEqual([]);
  });

  it('carries whether seats were freed, merged per event: freed if any notice was', async () => {
    const payloads = encodeNotices('i', [
      { eventId: 'ev', seatIds: ['a'], freed: true },
      { eventId: 'ev2', seatIds: ['b'] },
      { seatIds: ['c'], freed: true },
    ]);
    expect(decodeNotices(payloads[0]!)!.notices).toEqual([
      { eventId: 'ev', seatIds: ['a'], freed: true },
      { eventId: 'ev2', seatIds: ['b'] },
      { seatIds: ['c'], freed: true },
    ]);
    const sent: SeatChangeNotice[][] = [];
    const outbox = new Outbox({
      encode: (notices) => [JSON.stringify(notices)],
      send: async (p) => void sent.push(...p.map((x) => JSON.parse(x) as SeatChangeNotice[])),
      onError: () => undefined,
      lingerMs: 5,
    });
    outbox.push({ eventId: 'a', seatIds: ['1'] });
    outbox.push({ eventId: 'a', seatIds: ['2'], freed: true });
    outbox.push({ eventId: 'b', seatIds: ['3'] });
    await vi.waitFor(() => expect(sent.length).toBe(1));
    expect(sent[0]).toEqual([
      { eventId: 'a', seatIds: ['1', '2'], freed: true },
      { eventId: 'b', seatIds: ['3'] },
    ]);
    await outbox.close();
  });

  it('reads the one-notice form of earlier versions, and ignores anything malformed', () => {
    expect(decodeNotices('{"i":"x","e":"ev","s":["a","b"]}')).toEqual({
      instance: 'x',
      notices: [{ eventId: 'ev', seatIds: ['a', 'b'] }],
    });
    for (const bad of [
      '',
      'null',
      '[]',
      '{"i":1,"s":[]}',
      '{"i":"x","s":[1]}',
      '{"i":"x","s":[],"e":2}',
      '{"i":"x","n":{}}',
      '{"i":"x","n":[{"s":[1]}]}',
      '{"i":"x","n":[null]}',
      '{',
    ])
      expect(decodeNotices(bad)).toBeNull();
  });

  it('lets a batch wait a moment, so that notices pushed one after another go out as one', async () => {
    const sent: string[][] = [];
    const outbox = new Outbox({
      encode: (notices) => notices.map((n) => `${n.eventId}:${n.seatIds.join(',')}`),
      send: async (payloads) => void sent.push(payloads),
      onError: () => undefined,
      lingerMs: 20,
    });
    outbox.push({ eventId: 'a', seatIds: ['1'] });
    // Timers fire in the order they are due: this one before the batch's.
    await new Promise((r) => setTimeout(r, 5));
    outbox.push({ eventId: 'b', seatIds: ['2'] });
    outbox.push({ eventId: 'a', seatIds: ['3'] });
    await vi.waitFor(() => expect(sent.length).toBe(1));
    expect(sent).toEqual([['a:1,3', 'b:2']]);
    await outbox.close();
  });

  it('merges notices while a send is in flight, and retries a failed send', async () => {
    const sent: string[][] = [];
    let fail = 1;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const outbox = new Outbox({
      encode: (notices) => notices.map((n) => `${n.eventId ?? '-'}:${[...n.seatIds].sort().join(',')}`),
      lingerMs: 0,
      send: async (payloads) => {
        if (sent.length === 0) await gate;
        if (sent.length === 1 && fail-- > 0) {
          sent.push(['failed']);
          throw new Error('down');
        }
        sent.push(payloads);
      },
      onError: () => undefined,
      retryMs: 5,
    });
    outbox.push({ eventId: 'e', seatIds: ['1'] });
    outbox.push({ eventId: 'e', seatIds: ['2'] });
    outbox.push({ eventId: 'e', seatIds: ['2', '3'] });
    outbox.push({ seatIds: ['9'] });
    release();
    await vi.waitFor(() => expect(sent.length).toBe(3));
    expect(sent).toEqual([['e:1'], ['failed'], ['e:2,3', '-:9']]);
    await outbox.close();
  });
});

class FakeResponse extends EventEmitter {
  writableLength = 0;
  destroyed = false;
  chunks: string[] = [];
  ended = false;
  accepts = Infinity;
  writeHead() {
    return this;
  }
  write(chunk: Buffer | string) {
    this.chunks.push(String(chunk));
    const size = Buffer.byteLength(chunk);
    const taken = Math.min(size, this.accepts);
    this.accepts -= taken;
    this.writableLength += size - taken;
    return this.writableLength === 0;
  }
  end(chunk?: string) {
    if (chunk) this.chunks.push(chunk);
    this.ended = true;
  }
  destroy() {
    this.destroyed = true;
  }
}

describe('one viewer connection', () => {
  const open = (res: FakeResponse, maxBufferedBytes = 1000) => {
    const closed: boolean[] = [];
    const c = new SseConnection(
      res as unknown as ServerResponse,
      { heartbeatMs: 60_000, retryMs: 1500, maxBufferedBytes },
      (d) => closed.push(d),
    );
    return { c, closed };
  };

  it('holds messages that come before the headers, then sends them in order', () => {
    const res = new FakeResponse();
    const { c } = open(res);
    c.send(msg(1));
    c.start({});
    c.send(msg(2));
    expect(res.chunks[0]).toBe('retry: 1500\n\n');
    expect(res.chunks.slice(1).map((x) => x.split('\n')[0])).toEqual(['id: 1', 'id: 2']);
  });

  it('drops a viewer whose backlog passes the bound, without ever waiting', () => {
    const res = new FakeResponse();
    res.accepts = 2000;
    const { c, closed } = open(res);
    c.start({});
    for (let i = 1; i <= 100 && !res.destroyed; i++) c.send(msg(i, 3));
    expect(res.destroyed).toBe(true);
    expect(closed).toEqual([true]);
    const written = res.chunks.length;
    c.send(msg(1000));
    expect(res.chunks.length).toBe(written);
  });

  it('lets a snapshot bigger than the bound through until it drains', () => {
    const res = new FakeResponse();
    res.accepts = 0;
    const { c, closed } = open(res, 1000);
    c.start({});
    c.send(msg(1, 100)); // about 7 KB
    c.send(msg(2));
    expect(closed).toEqual([]);
    for (let i = 3; i < 30 && !res.destroyed; i++) c.send(msg(i, 3));
    expect(closed).toEqual([true]);
  });

  it('ends with a retry hint on shutdown', () => {
    const res = new FakeResponse();
    const { c, closed } = open(res);
    c.start({});
    c.end(500);
    expect(res.chunks.at(-1)).toBe('retry: 500\n\n');
    expect(res.ended).toBe(true);
    expect(closed).toEqual([false]);
  });
});

describe('one event channel', () => {
  const channel = (read: (ids?: readonly string[]) => Promise<SeatChange[]>) => {
    let id = 0;
    return new EventChannel({
      eventId: 'e',
      read,
      nextId: () => ++id,
      now: () => Date.now(),
      log: new StreamLog(0, { maxEntries: 10, maxBytes: 1e6, replayMarginIds: 0 }),
      onError: () => undefined,
      retryMs: 10,
    });
  };

  it('merges notices that arrive during a read, and sends only real changes', async () => {
    const state = new Map<string, SeatChange>(
      ['a', 'b', 'c'].map((s) => [s, { seatID: s, status: 'available', lockUntil: null }]),
    );
    const reads: (readonly string[] | undefined)[] = [];
    const ch = channel(async (ids) => {
      reads.push(ids);
      await new Promise((r) => setTimeout(r, 20));
      return [...state.values()].filter((s) => !ids || ids.includes(s.seatID));
    });
    const got: number[][] = [];
    ch.attach((m) => got.push([m.id, m.seats.length]));
    await vi.waitFor(() => expect(got).toEqual([[0, 3]]));
    state.set('a', { seatID: 'a', status: 'confirmed', lockUntil: null });
    ch.notice(['a']);
    ch.notice(['b']); // no real change
    ch.notice(['c', 'zzz']); // not this event's
    await vi.waitFor(() => expect(got.length).toBe(2));
    expect(got[1]).toEqual([1, 1]);
    expect(reads.slice(1)).toEqual([['a'], ['b', 'c']]);
    ch.close();
  });

  it('turns a hold green when it runs out', async () => {
    const until = new Date(Date.now() + 150).toISOString();
    const ch = channel(async () => [
      Date.now() < Date.parse(until)
        ? { seatID: 'a', status: 'locked', lockUntil: until }
        : { seatID: 'a', status: 'available', lockUntil: null },
    ]);
    const got: string[] = [];
    ch.attach((m) => got.push(m.seats[0]!.status));
    await vi.waitFor(() => expect(got).toEqual(['locked', 'available']), { timeout: 2000 });
    ch.close();
  });
});
