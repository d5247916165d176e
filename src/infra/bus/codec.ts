import type { SeatChangeNotice } from '../../services/ports.js';

// PostgreSQL refuses a NOTIFY payload of 8000 bytes or more; Redis has no such limit, but one size
// for both keeps a message small wherever it goes.
export const MAX_PAYLOAD_BYTES = 7900;

const headOf = (instance: string) => `{"i":${JSON.stringify(instance)},"n":[`;

/**
 * Whether a payload was sent by `instance` (this version's form): an instance skips its own notices
 * before decoding them, since it has delivered them to itself already.
 */
export const sentBy = (instance: string, payload: string): boolean => payload.startsWith(headOf(instance));

/**
 * Notices on the wire: `{"i": instance, "n": [{"e": event?, "f": 1?, "s": [seat IDs]}, …]}` (`f`: some
 * seats were freed), as many notices in
 * one payload as fit (a notice too big for one is split across payloads), so that a burst of bookings in
 * many events is one message, not one per event. `i` lets an instance skip its own notices, which it has
 * already delivered to itself.
 */
export function encodeNotices(
  instance: string,
  notices: readonly SeatChangeNotice[],
  maxBytes = MAX_PAYLOAD_BYTES,
): string[] {
  const head = headOf(instance);
  const empty = Buffer.byteLength(head) + ']}'.length;
  const payloads: string[] = [];
  let entries: string[] = [];
  let size = empty;
  const endPayload = () => {
    if (entries.length > 0) payloads.push(`${head}${entries.join(',')}]}`);
    entries = [];
    size = empty;
  };
  for (const notice of notices) {
    const event = notice.eventId === undefined ? '' : `"e":${JSON.stringify(notice.eventId)},`;
    const open = `{${event}${notice.freed ? '"f":1,' : ''}"s":[`;
    // An entry costs its opening, its closing `]}`, and a comma when it is not the payload's first.
    const entryCost = () => Buffer.byteLength(open) + ']}'.length + (entries.length > 0 ? 1 : 0);
    let items: string[] = [];
    let entrySize = entryCost();
    const endEntry = () => {
      if (items.length > 0) {
        entries.push(`${open}${items.join(',')}]}`);
        size += entrySize;
      }
      items = [];
      entrySize = entryCost();
    };
    for (const id of notice.seatIds) {
      const item = JSON.stringify(id);
      const cost = () => Buffer.byteLength(item) + (items.length > 0 ? 1 : 0);
      if (size + entrySize + cost() > maxBytes && (items.length > 0 || entries.length > 0)) {
        endEntry();
        endPayload();
        entrySize = entryCost();
      }
      entrySize += cost();
      items.push(item);
    }
    endEntry();
  }
  endPayload();
  return payloads;
}

const isString = (v: unknown): v is string => typeof v === 'string';

function noticeOf(raw: unknown): SeatChangeNotice | null {
  if (typeof raw !== 'object' || raw === null) return null;
  const { e, s, f } = raw as Record<string, unknown>;
  if (!Array.isArray(s) || !s.every(isString) || (e !== undefined && !isString(e))) return null;
  return seatNotice(e, s, f === 1);
}

/** A notice with only the fields that say something: no `eventId: undefined`, no `freed: false`. */
export function seatNotice(eventId: string | undefined, seatIds: string[], freed: boolean): SeatChangeNotice {
  return {
    ...(eventId === undefined ? {} : { eventId }),
    seatIds,
    ...(freed ? { freed: true as const } : {}),
  };
}

/**
 * The notices in a payload, or null for anything malformed (the bus is shared; never trust it blindly).
 * Also reads the one-notice form `{"i", "e"?, "s"}` that instances of earlier versions send.
 */
export function decodeNotices(payload: string): { instance: string; notices: SeatChangeNotice[] } | null {
  let raw: unknown;
  try {
    raw = JSON.parse(payload);
  } catch {
    return null;
  }
  if (typeof raw !== 'object' || raw === null) return null;
  const { i, n } = raw as Record<string, unknown>;
  if (!isString(i)) return null;
  if (n === undefined) {
    const one = noticeOf(raw);
    return one && { instance: i, notices: [one] };
  }
  if (!Array.isArray(n)) return null;
  const notices = n.map(noticeOf);
  if (notices.some((x) => x === null)) return null;
  return { instance: i, notices: notices as SeatChangeNotice[] };
}

/**
 * The notices of a payload heard on the bus that `instance` must deliver to its listeners: none for its
 * own (it delivered them to itself as it sent them; told by their opening, before any decoding) or for
 * anything malformed.
 */
export function othersNotices(instance: string, payload: string): SeatChangeNotice[] {
  if (sentBy(instance, payload)) return [];
  const decoded = decodeNotices(payload);
  return decoded && decoded.instance !== instance ? decoded.notices : [];
}
