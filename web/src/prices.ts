import type { Category } from './api';
import { money } from './format';

/** Category colours on the map, in the venue's order of categories (styles.css: .cat-0 … .cat-5). */
const COLOURS = 6;

/** A venue's price categories: each one's colour on the map, and the legend that explains them. */
export class Prices {
  constructor(private readonly categories: readonly Category[] = []) {}

  /** The class that colours a seat of this category; none for a seat without one. */
  colour(key: string | undefined): string {
    const i = this.categories.findIndex((c) => c.key === key);
    return i < 0 ? '' : `cat-${i % COLOURS}`;
  }

  /** ", Premium" for a seat of that category, for a sentence about the seat; "" without one. */
  label(key: string | undefined): string {
    const category = this.categories.find((c) => c.key === key);
    return category ? `, ${category.label}` : '';
  }

  /** One swatch per category with its label and price; hidden for an event at one price. */
  legend(list: HTMLElement, currency: string): void {
    list.replaceChildren(
      ...this.categories.map((c) => {
        const li = document.createElement('li');
        const swatch = document.createElement('span');
        swatch.className = `swatch available ${this.colour(c.key)}`;
        swatch.setAttribute('aria-hidden', 'true');
        li.append(swatch, `${c.label} ${money(c.price, currency)}`);
        return li;
      }),
    );
    list.hidden = this.categories.length === 0;
    // Free seats show in their category's colour then, which the price legend explains.
    document.getElementById('legend-available')!.hidden = !list.hidden;
  }
}
