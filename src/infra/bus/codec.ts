import type { SeatChangeNotice } from '../../services/ports.js';

// PostgreSQL refuses a NOTIFY payload of 8000 bytes or more; Redis has no such limit, but one size
// for both keeps a message small wherever it goes.
export const MAX_PAYLOAD_BYTES = 7900;

/**
 * A notice on the wire: `{"i": instance, "e": event?, "s": [seat IDs]}`, split into as many payloads
 * as it takes (about 190 seats each). `i` lets an instance skip its own notices, which it has already
 * delivered to itself.
 */
export function encodeNotice(
  instance: string,
  notice: SeatChangeNotice,
  maxBytes = MAX_PAYLOAD_BYTES,
): string[] {
  const head = JSON.stringify({ i: instance, ...(notice.eventId !== undefined && { e: notice.eventId }) });
  // `{..."s":[` + `]}`: what every payload spends before its seats.
  const fixed = Buffer.byteLength(head) - 1 + ',"s":['.length + ']}'.length;
  const payloads: string[] = [];
  let batch: string[] = [];
  let size = fixed;
  const flush = () => payloads.push(`${head.slice(0, -1)},"s":[${batch.join(',')}]}`);
  for (const id of notice.seatIds) {
    const item = JSON.stringify(id);
    // Each seat after the first also costs its comma.
    if (batch.length > 0 && size + 1 + Buffer.byteLength(item) > maxBytes) {
      flush();
      batch = [];
      size = fixed;
    }
    size += Buffer.byteLength(item) + (batch.length > 0 ? 1 : 0);
    batch.push(item);
  }
  if (batch.length > 0) flush();
  return payloads;
}

const isString = (v: unknown): v is string => typeof v === 'string';

/** The notice in a payload, or null for anything malformed (the bus is shared; never trust it blindly). */
export function decodeNotice(payload: string): { instance: string; notice: SeatChangeNotice } | null {
  let raw: unknown;
  try {
    raw = JSON.parse(payload);
  } catch {
    return null;
  }
  if (typeof raw !== 'object' || raw === null) return null;
  const { i, e, s } = raw as Record<string, unknown>;
  if (!isString(i) || !Array.isArray(s) || !s.every(isString) || (e !== undefined && !isString(e)))
    return null;
  return { instance: i, notice: e === undefined ? { seatIds: s } : { eventId: e, seatIds: s } };
}
