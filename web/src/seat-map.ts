import type { SeatStatus } from './api';

/** What a viewer sees a seat as: the API's status, split by whose hold it is. */
export type SeatView = 'available' | 'taken' | 'mine' | 'sold';

export interface SeatInfo {
  seatID: string;
  name: string;
  price: number;
  status: SeatStatus;
  lockUntil: string | null;
}

export const SEAT_WORDS: Record<SeatView, string> = {
  available: 'available',
  taken: 'held by someone else',
  mine: 'held by you',
  sold: 'sold',
};

/** "A12" → row "A", number "12"; names of another shape go to one row of their own. */
function splitName(name: string): { row: string; label: string } {
  const m = /^([A-Za-z]+)\s*(\d+)$/.exec(name);
  return m ? { row: m[1]!.toUpperCase(), label: m[2]! } : { row: '', label: name };
}

/**
 * The seat map: one real button per seat, in rows. One Tab stop for the whole map (a roving
 * tabindex): the arrow keys move between seats, Home and End go to a row's ends, Enter or Space picks.
 */
export class SeatMap {
  private readonly buttons = new Map<string, HTMLButtonElement>();
  private rows: HTMLButtonElement[][] = [];
  private current: HTMLButtonElement | undefined;

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

  render(seats: SeatInfo[]): void {
    this.root.replaceChildren();
    this.buttons.clear();
    this.rows = [];
    const byRow = new Map<string, HTMLButtonElement[]>();
    const fragment = document.createDocumentFragment();
    for (const seat of seats) {
      const { row, label } = splitName(seat.name);
      let buttons = byRow.get(row);
      if (!buttons) {
        buttons = [];
        byRow.set(row, buttons);
        this.rows.push(buttons);
        const group = document.createElement('div');
        group.className = 'row';
        group.setAttribute('role', 'group');
        group.setAttribute('aria-label', row ? `Row ${row}` : 'Other seats');
        const heading = document.createElement('span');
        heading.className = 'row-label';
        heading.textContent = row;
        heading.setAttribute('aria-hidden', 'true');
        group.append(heading);
        fragment.append(group);
      }
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'seat';
      button.dataset.seat = seat.seatID;
      button.textContent = label;
      button.tabIndex = -1;
      buttons.push(button);
      this.buttons.set(seat.seatID, button);
      (fragment.lastElementChild as HTMLElement).append(button);
    }
    this.root.append(fragment);
    this.current = this.rows[0]?.[0];
    if (this.current) this.current.tabIndex = 0;
  }

  /** Shows a seat's state; the label carries everything a screen reader needs, price included. */
  show(seat: SeatInfo, view: SeatView, selected: boolean, price: string): void {
    const button = this.buttons.get(seat.seatID);
    if (!button) return;
    const word = selected ? `${SEAT_WORDS[view]}, selected` : SEAT_WORDS[view];
    button.className = `seat ${view}${selected ? ' selected' : ''}`;
    button.setAttribute('aria-label', `Seat ${seat.name}, ${price}, ${word}`);
    button.setAttribute('aria-pressed', String(selected));
    // Still focusable, so that their price can be read, but announced as not available.
    button.setAttribute('aria-disabled', String(view === 'taken' || view === 'sold'));
    button.dataset.tip = `${seat.name} · ${price} · ${word}`;
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
