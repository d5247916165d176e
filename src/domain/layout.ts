import type { NewSeat } from './types.js';

/** Row label for a zero-based row index: A … Z, AA, AB, … (spreadsheet-style). */
export function rowLabel(index: number): string {
  let n = index + 1;
  let label = '';
  while (n > 0) {
    const rem = (n - 1) % 26;
    label = String.fromCharCode(65 + rem) + label;
    n = Math.floor((n - 1) / 26);
  }
  return label;
}

export function layoutSeats(rows: number, seatsPerRow: number, price: number): NewSeat[] {
  const seats: NewSeat[] = [];
  for (let r = 0; r < rows; r++) {
    const row = rowLabel(r);
    for (let s = 1; s <= seatsPerRow; s++) seats.push({ name: `${row}${s}`, price, row, number: s });
  }
  return seats;
}
