import type { Category } from './api';
import { money } from './format';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

// The service caps seats per session (MAX_SEATS_PER_SESSION, 10 by default) and says so if it is lower.
const MOST = 10;

/** The "best available" form: how many seats side by side, in which category. Booking does the rest. */
export class BestPicker {
  private readonly form = $<HTMLFormElement>('best');
  private readonly quantity = $<HTMLSelectElement>('best-quantity');
  private readonly category = $<HTMLSelectElement>('best-category');

  constructor(find: (quantity: number, category: string | undefined) => void) {
    this.quantity.replaceChildren(
      ...Array.from({ length: MOST }, (_, i) => new Option(String(i + 1), String(i + 1), i === 1, i === 1)),
    );
    this.form.addEventListener('submit', (e) => {
      e.preventDefault();
      find(Number(this.quantity.value), this.category.value || undefined);
    });
  }

  /** The categories to choose from; an event without any offers "any seat" only. */
  show(categories: readonly Category[], currency: string): void {
    this.category.replaceChildren(
      new Option('Any', ''),
      ...categories.map((c) => new Option(`${c.label} (${money(c.price, currency)})`, c.key)),
    );
    this.category.disabled = categories.length === 0;
  }

  set busy(busy: boolean) {
    $<HTMLButtonElement>('best-find').disabled = busy;
  }
}
