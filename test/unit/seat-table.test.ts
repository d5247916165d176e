import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { SeatLayout } from '../../src/services/ports.js';
import { SeatTable } from '../../src/services/seat-table.js';

function seat(i: number, extra: Partial<SeatLayout> = {}): SeatLayout {
  return {
    id: randomUUID(),
    name: `S${i}`,
    price: 100 + i,
    section: null,
    row: null,
    number: null,
    category: null,
    accessible: false,
    rank: null,
    area: null,
    ...extra,
  };
}

describe('the packed seat table', () => {
  it('gives back every seat as loaded, nulls included, in order', () => {
    const seats = [
      seat(0),
      seat(1, { section: 'Stalls', row: 'A', number: 1, category: 'gold', accessible: true, rank: 0 }),
      seat(2, { section: 'Stalls', row: 'A', number: 2, category: 'gold', rank: 7 }),
      seat(3, { section: 'Circle', row: 'B', number: 0, category: 'silver', rank: -1, name: '' }),
      seat(4, { name: 'Loge Ü 4 ★', price: 0, row: 'Z', number: 12 }),
    ];
    const table = new SeatTable(seats);
    expect(table.size).toBe(5);
    expect([...table]).toEqual(seats);
    seats.forEach((s, i) => {
      expect(table.at(i)).toEqual(s);
      expect(table.id(i)).toBe(s.id);
      expect(table.indexOf(s.id)).toBe(i);
    });
  });

  it('finds each of many seats by ID and tells every other string apart', () => {
    const seats = Array.from({ length: 20_000 }, (_, i) => seat(i));
    const table = new SeatTable(seats);
    for (let i = 0; i < seats.length; i += 7) expect(table.indexOf(seats[i]!.id)).toBe(i);
    expect(table.indexOf(seats.at(-1)!.id)).toBe(seats.length - 1);

    const first = seats[0]!.id;
    for (const other of [
      randomUUID(),
      first.toUpperCase(),
      first.slice(0, 35),
      `${first}0`,
      `${first.slice(0, 35)}x`,
      '',
      // The same characters as two IDs side by side in the packed text, straddling them.
      `${first.slice(18)}${seats[1]!.id.slice(0, 18)}`,
    ]) {
      expect(table.indexOf(other)).toBe(-1);
      expect(table.has(other)).toBe(false);
    }
  });

  it('holds an event without named seats', () => {
    const table = new SeatTable([]);
    expect(table.size).toBe(0);
    expect([...table]).toEqual([]);
    expect(table.indexOf(randomUUID())).toBe(-1);
  });

  it('refuses IDs that are not UUIDs as PostgreSQL writes them', () => {
    expect(() => new SeatTable([seat(0, { id: 'seat-1' })])).toThrow(/UUID/);
  });
});
