/**
 * Best available: the best block of `quantity` free seats side by side in one row.
 *
 * - Rows are read front to back: sections in the order the venue lists them, then rows in the order
 *   given within their section (a venue lists its best section first). A layout's rows are one section;
 *   a plain seat list has no rows, so each seat is a row of one.
 * - Seats are side by side when they follow each other in their row's order; aisles are not modelled.
 * - Without ranks, the frontmost row with a fitting block wins; within it, a block that strands no
 *   seat, then the block nearest the middle of the row, then the leftmost.
 * - With ranks (a venue gives every seat one, or none), a block is as good as its worst (highest) seat,
 *   then its sum of ranks; among equals, one that strands no seat, then the frontmost row, the middle,
 *   the leftmost.
 * - A block strands a seat when it leaves one free seat alone between itself and a taken seat or the
 *   row's end (seats.io's rule): such a seat is hard to sell. It is avoided whenever another block in
 *   the same row, or in a row as good, avoids it.
 * Filtered-out seats (another category, section or accessibility) that are free still count as free
 * for stranding: someone else can buy them.
 */

/** What best available needs to know of a seat; fixed once the event exists. */
export interface SeatPlace {
  section?: string | null;
  row?: string | null;
  category?: string | null;
  accessible?: boolean;
  rank?: number | null;
}

export interface BestFilter {
  category?: string;
  section?: string;
  /** true: accessible seats only; false: only seats that are not; absent: any. */
  accessible?: boolean;
}

const ANY = -1;
const NONE = -2;

/** An event's seats grouped into rows, front row first: built once per event, used for every pick. */
export class SeatRows {
  /** Seat indices (into the list given) of each row, in row order. */
  readonly rows: Int32Array[];
  readonly ranked: boolean;
  private readonly categoryOf: Int32Array;
  private readonly sectionOf: Int32Array;
  private readonly accessible: Uint8Array;
  private readonly rank: Float64Array;
  private readonly categories = new Map<string, number>();
  private readonly sections = new Map<string, number>();

  constructor(seats: readonly SeatPlace[]) {
    const n = seats.length;
    this.categoryOf = new Int32Array(n);
    this.sectionOf = new Int32Array(n);
    this.accessible = new Uint8Array(n);
    this.rank = new Float64Array(n);
    const rows = new Map<string, number[]>();
    let ranked = n > 0;
    seats.forEach((seat, i) => {
      this.categoryOf[i] = ordinal(this.categories, seat.category);
      this.sectionOf[i] = ordinal(this.sections, seat.section);
      this.accessible[i] = seat.accessible ? 1 : 0;
      this.rank[i] = seat.rank ?? 0;
      ranked &&= seat.rank !== undefined && seat.rank !== null;
      // Seats without a row (a plain seat list) are rows of their own.
      const key = seat.row == null ? `\u0001${i}` : `${seat.section ?? ''}\u0000${seat.row}`;
      const row = rows.get(key);
      if (row) row.push(i);
      else rows.set(key, [i]);
    });
    this.rows = [...rows.values()].map((r) => Int32Array.from(r));
    this.ranked = ranked;
  }

  get size(): number {
    return this.categoryOf.length;
  }

  hasCategory = (key: string) => this.categories.has(key);
  hasSection = (name: string) => this.sections.has(name);

  /**
   * The best block as seat indices in row order, or null when no row has `quantity` free seats side
   * by side that pass the filter. `free[i]` is 1 when seat i may be sold now. O(seats), no allocation
   * per seat; without ranks it stops at the first row that has a block.
   */
  best(free: Uint8Array, quantity: number, filter: BestFilter = {}): number[] | null {
    const want = {
      category: filter.category === undefined ? ANY : (this.categories.get(filter.category) ?? NONE),
      section: filter.section === undefined ? ANY : (this.sections.get(filter.section) ?? NONE),
      accessible: filter.accessible === undefined ? ANY : filter.accessible ? 1 : 0,
    };
    if (quantity < 1 || want.category === NONE || want.section === NONE) return null;
    // One candidate being judged and the best so far, reused: no allocation per seat.
    const candidate = blank();
    const best = blank();
    for (let r = 0; r < this.rows.length; r++) {
      const row = this.rows[r]!;
      let run = 0;
      for (let p = 0; p < row.length; p++) {
        const s = row[p]!;
        run = free[s] === 1 && this.passes(s, want) ? run + 1 : 0;
        if (run < quantity) continue;
        this.judge(candidate, row, r, p - quantity + 1, quantity, free);
        if (best.row < 0 || this.better(candidate, best)) Object.assign(best, candidate);
      }
      // Rows come front first: without ranks, no later row can beat a block found in this one.
      if (best.row >= 0 && !this.ranked) break;
    }
    return best.row < 0 ? null : Array.from(this.rows[best.row]!.subarray(best.start, best.start + quantity));
  }

  private passes(s: number, want: { category: number; section: number; accessible: number }): boolean {
    return (
      (want.category === ANY || this.categoryOf[s] === want.category) &&
      (want.section === ANY || this.sectionOf[s] === want.section) &&
      (want.accessible === ANY || this.accessible[s] === want.accessible)
    );
  }

  private judge(c: Candidate, row: Int32Array, r: number, start: number, quantity: number, free: Uint8Array) {
    c.row = r;
    c.start = start;
    c.worst = 0;
    c.sum = 0;
    if (this.ranked) {
      for (let p = start; p < start + quantity; p++) {
        const rank = this.rank[row[p]!]!;
        c.worst = Math.max(c.worst, rank);
        c.sum += rank;
      }
    }
    c.strands = strands(row, start, start + quantity - 1, free);
    // Twice the distance of the block's centre from the row's centre, in seats (stays an integer).
    c.offCentre = Math.abs(2 * start + quantity - row.length);
  }

  /** Whether `a` beats `b`; candidates arrive row by row, left to right, so a tie keeps the first. */
  private better(a: Candidate, b: Candidate): boolean {
    if (!this.ranked) {
      if (a.row !== b.row) return a.row < b.row;
      if (a.strands !== b.strands) return !a.strands;
      return a.offCentre < b.offCentre;
    }
    if (a.worst !== b.worst) return a.worst < b.worst;
    if (a.sum !== b.sum) return a.sum < b.sum;
    if (a.strands !== b.strands) return !a.strands;
    if (a.row !== b.row) return a.row < b.row;
    return a.offCentre < b.offCentre;
  }
}

interface Candidate {
  row: number;
  start: number;
  worst: number;
  sum: number;
  strands: boolean;
  offCentre: number;
}

const blank = (): Candidate => ({ row: -1, start: 0, worst: 0, sum: 0, strands: false, offCentre: 0 });

/** Whether the block [first, last] leaves a single free seat between itself and a taken seat or an end. */
function strands(row: Int32Array, first: number, last: number, free: Uint8Array): boolean {
  const isFree = (p: number) => p >= 0 && p < row.length && free[row[p]!] === 1;
  const left = isFree(first - 1) && !isFree(first - 2);
  const right = isFree(last + 1) && !isFree(last + 2);
  return left || right;
}

function ordinal(ids: Map<string, number>, value: string | null | undefined): number {
  if (value === undefined || value === null) return NONE;
  let id = ids.get(value);
  if (id === undefined) ids.set(value, (id = ids.size));
  return id;
}
