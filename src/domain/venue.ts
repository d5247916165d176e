import { DomainError } from './errors.js';
import type { Category, NewArea, NewSeat } from './types.js';

export interface VenueSeatInput {
  number: number;
  accessible?: boolean;
  rank?: number;
}

export interface VenueInput {
  categories: Category[];
  sections?: {
    name: string;
    rows: { name: string; category: string; seats: number | VenueSeatInput[] }[];
  }[];
  areas?: { name: string; category: string; capacity: number }[];
}

export interface Venue {
  categories: Category[];
  seats: NewSeat[];
  areas: NewArea[];
}

/** A rule of the venue broken at `field` (a JSON path into the request body, e.g. `sections[0].name`). */
function invalid(field: string, problem: string): never {
  throw new DomainError('VALIDATION_ERROR', `${field}: ${problem}`, { field });
}

/** The first index whose key was seen before, or -1. */
function firstDuplicate<T>(items: readonly T[], key: (item: T) => string | number): number {
  const seen = new Set<string | number>();
  return items.findIndex((item) => seen.size === seen.add(key(item)).size);
}

/** Every `items[i][field]` differs, else the first repeat is named: `${at}[i].${field}`. */
function unique<T, K extends keyof T & string>(items: readonly T[], field: K, at: string): void {
  const dup = firstDuplicate(items, (item) => String(item[field]));
  if (dup >= 0) invalid(`${at}[${dup}].${field}`, `"${String(items[dup]![field])}" appears more than once.`);
}

/** Seats are named `<section> <row>-<number>`, e.g. `Stalls C-12`. */
export const venueSeatName = (section: string, row: string, number: number) => `${section} ${row}-${number}`;

/**
 * Checks a venue and lays it out as seats (sections in the order given, then rows, then seats: the
 * order best available reads as front to back) and standing areas. Every error names the bad field.
 * The seat count is checked before any seat is made, so an oversized venue costs nothing.
 */
export function expandVenue(input: VenueInput, maxSeats: number): Venue {
  const sections = input.sections ?? [];
  const areas = input.areas ?? [];
  unique(input.categories, 'key', 'categories');
  const categories = new Map(input.categories.map((c) => [c.key, c]));
  const category = (key: string, field: string) =>
    categories.get(key) ?? invalid(field, `no category "${key}" in categories.`);

  unique(sections, 'name', 'sections');
  let count = 0;
  sections.forEach((section, i) => {
    unique(section.rows, 'name', `sections[${i}].rows`);
    section.rows.forEach((row, j) => {
      const at = `sections[${i}].rows[${j}]`;
      category(row.category, `${at}.category`);
      if (typeof row.seats !== 'number') unique(row.seats, 'number', `${at}.seats`);
      count += typeof row.seats === 'number' ? row.seats : row.seats.length;
    });
  });
  if (count > maxSeats) invalid('sections', `${count} seats; a venue has at most ${maxSeats}.`);
  if (count === 0 && areas.length === 0)
    invalid('sections', 'the venue is empty: give it at least one seat or one standing area.');

  const seats = venueSeats(sections, categories);
  // Different sections and rows can still spell the same name ("A B" + "C" and "A" + "B C").
  const clash = firstDuplicate(seats, (s) => s.name);
  if (clash >= 0) invalid('sections', `two seats would both be named "${seats[clash]!.name}".`);
  const ranked = seats.filter((s) => s.rank !== undefined).length;
  if (ranked > 0 && ranked < seats.length)
    invalid('sections', `${ranked} of ${seats.length} seats have a rank: give every seat a rank, or none.`);

  unique(areas, 'name', 'areas');
  // A place is a row like a seat: the venue's size counts both.
  const places = areas.reduce((n, a) => n + a.capacity, 0);
  if (count + places > maxSeats)
    invalid('areas', `${count} seats and ${places} standing places; a venue has at most ${maxSeats} in all.`);
  const placed = areas.map((a, i) => ({ ...a, price: category(a.category, `areas[${i}].category`).price }));
  return { categories: input.categories, seats, areas: placed };
}

function venueSeats(sections: NonNullable<VenueInput['sections']>, categories: Map<string, Category>) {
  const seats: NewSeat[] = [];
  for (const section of sections) {
    for (const row of section.rows) {
      const { price } = categories.get(row.category)!;
      const list = typeof row.seats === 'number' ? numbered(row.seats) : row.seats;
      for (const seat of list) {
        seats.push({
          name: venueSeatName(section.name, row.name, seat.number),
          price,
          section: section.name,
          row: row.name,
          number: seat.number,
          category: row.category,
          accessible: seat.accessible ?? false,
          ...(seat.rank !== undefined && { rank: seat.rank }),
        });
      }
    }
  }
  return seats;
}

const numbered = (n: number): VenueSeatInput[] => Array.from({ length: n }, (_, i) => ({ number: i + 1 }));
