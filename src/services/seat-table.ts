import type { SeatLayout } from './ports.js';

/** Seat IDs are UUIDs, which PostgreSQL always writes in this one form of 36 characters. */
const ID_LENGTH = 36;

/**
 * An event's named seats packed into a few arrays, in seat-map order: a stadium's hundred thousand
 * seats are a dozen objects on the heap instead of several hundred thousand. Every instance keeps the
 * layouts it serves for as long as it runs, and the garbage collector's young collections, which stop
 * every request, grow slower with the number of objects kept, not with their bytes (docs/performance.md).
 * Seat IDs are found through an open-addressing hash table of indexes, without a string per seat.
 */
export class SeatTable {
  readonly size: number;
  private readonly ids: string;
  private readonly slots: Int32Array;
  private readonly names: string;
  private readonly nameEnds: Uint32Array;
  private readonly price: Float64Array;
  private readonly number: Float64Array;
  private readonly rank: Float64Array;
  private readonly accessible: Uint8Array;
  private readonly section: Column;
  private readonly row: Column;
  private readonly category: Column;

  constructor(seats: readonly SeatLayout[]) {
    const n = seats.length;
    this.size = n;
    this.ids = seats.map((s) => checkedId(s.id)).join('');
    this.names = seats.map((s) => s.name).join('');
    this.nameEnds = new Uint32Array(n);
    this.price = new Float64Array(n);
    this.number = new Float64Array(n);
    this.rank = new Float64Array(n);
    this.accessible = new Uint8Array(n);
    this.section = new Column(n);
    this.row = new Column(n);
    this.category = new Column(n);
    let end = 0;
    seats.forEach((s, i) => {
      this.nameEnds[i] = end += s.name.length;
      this.price[i] = s.price;
      this.number[i] = s.number ?? NaN;
      this.rank[i] = s.rank ?? NaN;
      this.accessible[i] = s.accessible ? 1 : 0;
      this.section.set(i, s.section);
      this.row.set(i, s.row);
      this.category.set(i, s.category);
    });
    // At most half full, so that a miss (an unknown seat) ends after a probe or two.
    let size = 2;
    while (size < 2 * n) size *= 2;
    this.slots = new Int32Array(size);
    for (let i = 0; i < n; i++) {
      let slot = hash(this.ids, i * ID_LENGTH) & (size - 1);
      while (this.slots[slot] !== 0) slot = (slot + 1) & (size - 1);
      this.slots[slot] = i + 1;
    }
  }

  /** The seat's index, or -1 when the event has no such named seat. */
  indexOf(id: string): number {
    if (id.length !== ID_LENGTH) return -1;
    const mask = this.slots.length - 1;
    for (let slot = hash(id, 0) & mask; ; slot = (slot + 1) & mask) {
      const found = this.slots[slot]! - 1;
      if (found < 0) return -1;
      if (this.ids.startsWith(id, found * ID_LENGTH)) return found;
    }
  }

  has(id: string): boolean {
    return this.indexOf(id) >= 0;
  }

  id(i: number): string {
    return this.ids.slice(i * ID_LENGTH, (i + 1) * ID_LENGTH);
  }

  /** Seat `i` as one object, made anew on each call (for seat maps and best available's own tables). */
  at(i: number): SeatLayout {
    const number = this.number[i]!;
    const rank = this.rank[i]!;
    return {
      id: this.id(i),
      name: this.names.slice(i === 0 ? 0 : this.nameEnds[i - 1], this.nameEnds[i]),
      price: this.price[i]!,
      section: this.section.get(i),
      row: this.row.get(i),
      number: Number.isNaN(number) ? null : number,
      category: this.category.get(i),
      accessible: this.accessible[i] === 1,
      rank: Number.isNaN(rank) ? null : rank,
      area: null,
    };
  }

  /** Every seat as an object, in seat-map order. */
  *[Symbol.iterator](): IterableIterator<SeatLayout> {
    for (let i = 0; i < this.size; i++) yield this.at(i);
  }
}

/** A text column with few distinct values (sections, rows, categories): each kept once, seats by code. */
class Column {
  private readonly values: string[] = [];
  private readonly codeOf = new Map<string, number>();
  private readonly codes: Int32Array;

  constructor(size: number) {
    this.codes = new Int32Array(size).fill(-1);
  }

  set(i: number, value: string | null): void {
    if (value === null) return;
    let code = this.codeOf.get(value);
    if (code === undefined) {
      code = this.values.push(value) - 1;
      this.codeOf.set(value, code);
    }
    this.codes[i] = code;
  }

  get(i: number): string | null {
    const code = this.codes[i]!;
    return code < 0 ? null : this.values[code]!;
  }
}

function checkedId(id: string): string {
  if (id.length !== ID_LENGTH) throw new Error(`A seat ID of ${id.length} characters: UUIDs only.`);
  return id;
}

/** FNV-1a over one ID's characters, read in place from `text` at `from`. */
function hash(text: string, from: number): number {
  let h = 0x811c9dc5;
  for (let i = from; i < from + ID_LENGTH; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
