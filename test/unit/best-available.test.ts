import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SeatRows, type BestFilter, type SeatPlace } from '../../src/domain/best-available.js';

/**
 * Rows drawn as text, front row first: `.` a free seat, `x` a taken one, `a` a free accessible seat.
 * `section`, `category` and `ranks` give each row's section, category, and per-seat ranks.
 */
interface Drawn {
  rows: string[];
  sections?: string[];
  categories?: string[];
  ranks?: number[][];
}

function venue({ rows, sections, categories, ranks }: Drawn) {
  const places: SeatPlace[] = [];
  const free: number[] = [];
  rows.forEach((pattern, r) =>
    [...pattern].forEach((ch, p) => {
      places.push({
        section: sections?.[r] ?? 'Stalls',
        row: `R${r}`,
        category: categories?.[r] ?? 'std',
        accessible: ch === 'a',
        rank: ranks ? ranks[r]![p]! : null,
      });
      free.push(ch === 'x' ? 0 : 1);
    }),
  );
  return { seats: new SeatRows(places), free: Uint8Array.from(free) };
}

/** The rows again, with the chosen seats drawn as `#`; null when nothing fits. */
function pick(drawn: Drawn, quantity: number, filter?: BestFilter): string[] | null {
  const { seats, free } = venue(drawn);
  const chosen = seats.best(free, quantity, filter);
  if (!chosen) return null;
  const marked = drawn.rows.map((r) => [...r]);
  let i = 0;
  const at = marked.flatMap((row, r) => row.map((_, p) => [r, p] as const));
  for (const seat of chosen) {
    const [r, p] = at[seat]!;
    expect(marked[r]![p], 'a chosen seat must be free').not.toBe('x');
    marked[r]![p] = '#';
    i++;
  }
  expect(i).toBe(quantity);
  return marked.map((r) => r.join(''));
}

describe('best available: hand-made rows', () => {
  const cases: [string, Drawn, number, BestFilter | undefined, string[] | null][] = [
    ['an empty row: the middle', { rows: ['..........'] }, 2, undefined, ['....##....']],
    ['an odd fit: the middle, leftmost of two', { rows: ['..........'] }, 3, undefined, ['...###....']],
    [
      'the front row first',
      { rows: ['xxxxxxxxxx', '..........'] },
      2,
      undefined,
      ['xxxxxxxxxx', '....##....'],
    ],
    [
      'front row with a block beats a fuller middle',
      { rows: ['xx..xxxxxx', '..........'] },
      2,
      undefined,
      ['xx##xxxxxx', '..........'],
    ],
    ['an exact gap', { rows: ['x..x'] }, 2, undefined, ['x##x']],
    ['no seat stranded beside a taken seat', { rows: ['x.....x'] }, 2, undefined, ['x##...x']],
    ['no seat stranded at a row end', { rows: ['......'] }, 4, undefined, ['####..']],
    [
      'every block strands: the middle, then the leftmost',
      { rows: ['........'] },
      7,
      undefined,
      ['#######.'],
    ],
    ['one seat: not the middle of three, which would strand two', { rows: ['...'] }, 1, undefined, ['#..']],
    ['one seat between taken ones', { rows: ['.x.'] }, 1, undefined, ['#x.']],
    [
      'stranding is accepted in the front row rather than moving back',
      { rows: ['x...x', '........'] },
      2,
      undefined,
      ['x##.x', '........'],
    ],
    ['the middle when it strands nothing', { rows: ['x........x'] }, 2, undefined, ['x...##...x']],
    [
      'a far block that strands nothing beats a central one that does',
      { rows: ['xx....x...'] },
      3,
      undefined,
      ['xx....x###'],
    ],
    ['no two free seats side by side', { rows: ['x.x.x.', '.x.x.x'] }, 2, undefined, null],
    ['more than a row holds', { rows: ['....'] }, 5, undefined, null],
    ['everything taken', { rows: ['xxxx'] }, 1, undefined, null],
  ];
  it.each(cases)('%s', (_name, drawn, quantity, filter, expected) => {
    expect(pick(drawn, quantity, filter)).toEqual(expected);
  });
});

describe('best available: filters', () => {
  const twoCategories = { rows: ['......', '......'], categories: ['premium', 'standard'] };
  it('by category', () => {
    expect(pick(twoCategories, 2, { category: 'standard' })).toEqual(['......', '..##..']);
    expect(pick(twoCategories, 2, { category: 'premium' })).toEqual(['..##..', '......']);
  });

  it('by section, the venue order of sections being front to back', () => {
    const drawn = { rows: ['....', '....', '....'], sections: ['Stalls', 'Stalls', 'Balcony'] };
    expect(pick(drawn, 2, { section: 'Balcony' })).toEqual(['....', '....', '##..']);
    expect(pick(drawn, 2)).toEqual(['##..', '....', '....']);
  });

  it('accessible seats only, or none of them', () => {
    expect(pick({ rows: ['aa......'] }, 2, { accessible: true })).toEqual(['##......']);
    // Free accessible seats still count as free: taking 2-3 would not strand them.
    expect(pick({ rows: ['aa......'] }, 2, { accessible: false })).toEqual(['aa.##...']);
    expect(pick({ rows: ['a.a.a.'] }, 2, { accessible: true })).toBeNull();
  });

  it('unknown category or section: nothing fits', () => {
    expect(pick(twoCategories, 1, { category: 'vip' })).toBeNull();
    expect(pick(twoCategories, 1, { section: 'Gallery' })).toBeNull();
  });

  it('filters combine', () => {
    const drawn = { rows: ['aa..', 'aa..'], categories: ['premium', 'standard'] };
    expect(pick(drawn, 2, { category: 'standard', accessible: true })).toEqual(['aa..', '##..']);
  });
});

describe('best available: ranks', () => {
  it('a better-ranked block in a back row beats the front row', () => {
    const drawn = {
      rows: ['....', '....'],
      ranks: [
        [5, 5, 5, 5],
        [1, 1, 9, 9],
      ],
    };
    expect(pick(drawn, 2)).toEqual(['....', '##..']);
  });

  it('a block is as good as its worst seat, then its sum of ranks', () => {
    expect(pick({ rows: ['....'], ranks: [[1, 10, 4, 4]] }, 2)).toEqual(['..##']);
    expect(pick({ rows: ['....'], ranks: [[2, 2, 3, 1]] }, 2)).toEqual(['##..']);
    expect(pick({ rows: ['.....'], ranks: [[9, 3, 3, 4, 9]] }, 2)).toEqual(['.##..']);
  });

  it('among equally ranked blocks, one that strands no seat, even in another row', () => {
    expect(pick({ rows: ['....'], ranks: [[3, 1, 3, 3]] }, 2)).toEqual(['##..']);
    const drawn = {
      rows: ['x...x', '....'],
      ranks: [
        [1, 1, 1, 1, 1],
        [1, 1, 1, 1],
      ],
    };
    expect(pick(drawn, 2)).toEqual(['x...x', '##..']);
  });
});

describe('best available: events without a venue', () => {
  it('a plain seat list has no rows: one seat at a time, first free first', () => {
    const seats = new SeatRows([{}, {}, {}]);
    expect(seats.best(Uint8Array.from([0, 1, 1]), 1)).toEqual([1]);
    expect(seats.best(Uint8Array.from([1, 1, 1]), 2)).toBeNull();
  });

  it("a layout's rows are one section, front row first", () => {
    const seats = new SeatRows(['A', 'A', 'A', 'B', 'B', 'B'].map((row) => ({ row })));
    expect(seats.best(Uint8Array.from([1, 0, 1, 1, 1, 1]), 2)).toEqual([3, 4]);
    expect(seats.hasSection('Stalls')).toBe(false);
  });
});

/**
 * The rules again, written the slow and obvious way: every block, sorted by its key. The fast pick must
 * agree with it on any row pattern.
 */
function reference(rows: number[][], free: number[], q: number, ranks: number[] | null): number[] | null {
  const blocks: { seats: number[]; key: number[] }[] = [];
  rows.forEach((row, r) => {
    for (let start = 0; start + q <= row.length; start++) {
      const seats = row.slice(start, start + q);
      if (!seats.every((s) => free[s] === 1)) continue;
      const f = (p: number) => p >= 0 && p < row.length && free[row[p]!] === 1;
      const last = start + q - 1;
      const strands = (f(start - 1) && !f(start - 2)) || (f(last + 1) && !f(last + 2)) ? 1 : 0;
      const off = Math.abs(start + (q - 1) / 2 - (row.length - 1) / 2);
      const worst = ranks ? Math.max(...seats.map((s) => ranks[s]!)) : 0;
      const sum = ranks ? seats.reduce((t, s) => t + ranks[s]!, 0) : 0;
      blocks.push({
        seats,
        key: ranks ? [worst, sum, strands, r, off, start] : [r, strands, off, start],
      });
    }
  });
  blocks.sort((a, b) => {
    for (let i = 0; i < a.key.length; i++) if (a.key[i] !== b.key[i]) return a.key[i]! - b.key[i]!;
    return 0;
  });
  return blocks[0]?.seats ?? null;
}

describe('best available: agrees with a brute-force reference', () => {
  const layout = fc.array(fc.array(fc.boolean(), { minLength: 1, maxLength: 12 }), {
    minLength: 1,
    maxLength: 5,
  });
  it.each([false, true])('on random rows (ranked: %s)', (ranked) => {
    fc.assert(
      fc.property(
        layout,
        fc.integer({ min: 1, max: 5 }),
        fc.infiniteStream(fc.nat(4)),
        (shape, q, rankStream) => {
          const places: SeatPlace[] = [];
          const free: number[] = [];
          const rows: number[][] = [];
          const ranks: number[] = [];
          const nextRank = rankStream[Symbol.iterator]();
          shape.forEach((row, r) => {
            rows.push([]);
            row.forEach((isFree) => {
              rows[r]!.push(places.length);
              const rank = ranked ? nextRank.next().value! : null;
              if (rank !== null) ranks.push(rank);
              places.push({ section: 'S', row: `R${r}`, rank });
              free.push(isFree ? 1 : 0);
            });
          });
          const got = new SeatRows(places).best(Uint8Array.from(free), q);
          expect(got).toEqual(reference(rows, free, q, ranked ? ranks : null));
        },
      ),
      { numRuns: 500 },
    );
  });
});
