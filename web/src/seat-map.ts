import type { SeatStatus } from './api';

/** What a viewer sees a seat as: the API's status, split by whose hold it is. */
export type SeatView = 'available' | 'taken' | 'mine' | 'sold';

export interface SeatInfo {
  seatID: string;
  name: string;
  price: number;
  status: SeatStatus;
  lockUntil: string | null;
  section?: string;
  row?: string;
  number?: number;
  category?: string;
  accessible?: boolean;
}

export const SEAT_WORDS: Record<SeatView, string> = {
  available: 'available',
  taken: 'held by someone else',
  mine: 'held by you',
  sold: 'sold',
};

/**
 * Where a seat sits on the map: a venue's seats say so; "A12" is row A, seat 12; names of another
 * shape go to one row of their own.
 */
function placeOf(seat: SeatInfo): { section: string; row: string; label: string } {
  if (seat.section !== undefined && seat.row !== undefined)
    return { section: seat.section, row: seat.row, label: String(seat.number ?? '') };
  const m = /^([A-Za-z]+)\s*(\d+)$/.exec(seat.name);
  return m
    ? { section: '', row: m[1]!.toUpperCase(), label: m[2]! }
    : { section: '', row: '', label: seat.name };
}

/**
 * The seat map: one real button per seat, in rows. One Tab stop for the whole map (a roving
 * tabindex): the arrow keys move between seats, Home and End go to a row's ends, Enter or Space picks.
 */
export class SeatMap {
  private readonly buttons = new Map<string, HTMLButtonElement>();
  private rows: HTMLButtonElement[][] = [];
  private current: HTMLButtonElement | undefined;
  /** Extra classes of each seat: its category's colour, and whether it is accessible. */
  private readonly colours = new Map<string, string>();

  constructor(
    private readonly root: HTMLElement,
    private readonly on: { pick(seatID: string): void; inspect(seatID: string | null): void },
  ) {
    root.addEventListener('keydown', (e) => this.keydown(e));
    root.addEventListener('click', (e) => {
      const button = (e.target as HTMLElement).closest<HTMLButtonElement>('button.seat');
      if (!button?.dataset.seat) return;
      this.focus(button, false);
      this.on.pick(button.dataset.seat);
    });
    root.addEventListener('focusin', (e) => {
      // However focus got here (a click, a screen reader), the arrow keys go on from this seat.
      const button = (e.target as HTMLElement).closest<HTMLButtonElement>('button.seat');
      if (button) this.focus(button, false);
      this.inspectFrom(e.target);
    });
    root.addEventListener('mouseover', (e) => this.inspectFrom(e.target));
    root.addEventListener('mouseleave', () => this.on.inspect(null));
  }

  /** Draws the seats: sections in the order they come, each with its rows; `colour` names a category's colour. */
  render(seats: SeatInfo[], colour: (category: string | undefined) => string = () => ''): void {
    this.root.replaceChildren();
    this.buttons.clear();
    this.rows = [];
    this.colours.clear();
    const rows = new Map<string, { group: HTMLElement; buttons: HTMLButtonElement[] }>();
    const sections = new Map<string, HTMLElement>();
    const fragment = document.createDocumentFragment();
    for (const seat of seats) {
      const { section, row, label } = placeOf(seat);
      const key = `${section}\u0000${row}`;
      let line = rows.get(key);
      if (!line) {
        let rowsOf = sections.get(section);
        if (!rowsOf) {
          const made = this.section(section);
          fragment.append(made.block);
          sections.set(section, (rowsOf = made.rows));
        }
        line = { group: this.row(section, row), buttons: [] };
        rows.set(key, line);
        rowsOf.append(line.group);
        this.rows.push(line.buttons);
      }
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'seat';
      button.dataset.seat = seat.seatID;
      button.textContent = seat.accessible ? '♿' : label;
      button.tabIndex = -1;
      this.colours.set(seat.seatID, `${colour(seat.category)}${seat.accessible ? ' accessible' : ''}`);
      line.buttons.push(button);
      this.buttons.set(seat.seatID, button);
      line.group.append(button);
    }
    this.root.append(fragment);
    this.current = this.rows[0]?.[0];
    if (this.current) this.current.tabIndex = 0;
  }

  /** A section's block with its name over it; seats without a section share an unnamed one. */
  private section(name: string): { block: HTMLElement; rows: HTMLElement } {
    const rows = document.createElement('div');
    rows.className = 'rows';
    if (!name) return { block: rows, rows };
    const block = document.createElement('div');
    block.className = 'section';
    block.setAttribute('role', 'group');
    block.setAttribute('aria-label', name);
    const heading = document.createElement('p');
    heading.className = 'section-name';
    heading.textContent = name;
    heading.setAttribute('aria-hidden', 'true');
    block.append(heading, rows);
    return { block, rows };
  }

  private row(section: string, row: string): HTMLElement {
    const group = document.createElement('div');
    group.className = 'row';
    group.setAttribute('role', 'group');
    group.setAttribute('aria-label', row ? `${section ? `${section}, row` : 'Row'} ${row}` : 'Other seats');
    const heading = document.createElement('span');
    heading.className = 'row-label';
    heading.textContent = row;
    heading.setAttribute('aria-hidden', 'true');
    group.append(heading);
    return group;
  }

  /** Shows a seat's state; the label carries everything a screen reader needs, price included. */
  show(seat: SeatInfo, view: SeatView, selected: boolean, price: string): void {
    const button = this.buttons.get(seat.seatID);
    if (!button) return;
    const word = selected ? `${SEAT_WORDS[view]}, selected` : SEAT_WORDS[view];
    button.className =
      `seat ${view}${selected ? ' selected' : ''} ${this.colours.get(seat.seatID) ?? ''}`.trim();
    const access = seat.accessible ? 'wheelchair accessible, ' : '';
    button.setAttribute('aria-label', `Seat ${seat.name}, ${price}, ${access}${word}`);
    button.setAttribute('aria-pressed', String(selected));
    // Still focusable, so that their price can be read, but announced as not available.
    button.setAttribute('aria-disabled', String(view === 'taken' || view === 'sold'));
    button.dataset.tip = `${seat.name} · ${price} · ${word}`;
  }

  /** Scrolls the map sideways (only) so that the seat is in view, e.g. seats picked for the viewer. */
  reveal(seatID: string): void {
    const button = this.buttons.get(seatID);
    if (!button) return;
    const seat = button.getBoundingClientRect();
    const map = this.root.getBoundingClientRect();
    this.root.scrollLeft += seat.left + seat.width / 2 - (map.left + map.width / 2);
  }

  private inspectFrom(target: EventTarget | null): void {
    const seat = (target as HTMLElement | null)?.closest<HTMLButtonElement>('button.seat')?.dataset.seat;
    if (seat) this.on.inspect(seat);
  }

  private focus(button: HTMLButtonElement, move = true): void {
    if (this.current) this.current.tabIndex = -1;
    this.current = button;
    button.tabIndex = 0;
    if (move) button.focus();
  }

  private keydown(e: KeyboardEvent): void {
    const current = this.current;
    if (!current || !(e.target instanceof HTMLButtonElement)) return;
    const r = this.rows.findIndex((row) => row.includes(current));
    const row = this.rows[r];
    if (!row) return;
    const c = row.indexOf(current);
    const at = (rr: number, cc: number) => {
      const target = this.rows[rr];
      return target?.[Math.min(cc, target.length - 1)];
    };
    const next: Record<string, HTMLButtonElement | undefined> = {
      ArrowLeft: row[c - 1],
      ArrowRight: row[c + 1],
      ArrowUp: at(r - 1, c),
      ArrowDown: at(r + 1, c),
      Home: row[0],
      End: row[row.length - 1],
    };
    if (!(e.key in next)) return;
    e.preventDefault();
    const target = next[e.key];
    if (target) this.focus(target);
  }
}
