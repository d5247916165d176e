import type { Area, Category, Places } from './api';
import { money, plural } from './format';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

// Places one buyer may ask for at a time; the service's own limit (seats and places together) still applies.
const MOST = 10;

/** Standing areas, each with a stepper for how many places the next hold asks for. */
export class StandingAreas {
  private areas: Area[] = [];
  private readonly wanted = new Map<string, number>();
  private held: Places[] = [];

  constructor(private readonly changed: () => void) {}

  show(areas: readonly Area[], categories: readonly Category[], currency: string): void {
    this.areas = areas.map((a) => ({ ...a }));
    this.wanted.clear();
    this.held = [];
    const label = new Map(categories.map((c) => [c.key, c.label]));
    $('standing').hidden = areas.length === 0;
    $('areas').replaceChildren(
      ...areas.map((a) => this.item(a, label.get(a.category) ?? a.category, currency)),
    );
  }

  /** Free places per area as the live stream tells them. */
  counts(updates: readonly { areaID: string; available: number }[]): void {
    for (const { areaID, available } of updates) {
      const area = this.area(areaID);
      if (!area) continue;
      area.available = available;
      this.paint(areaID);
    }
  }

  /** What the next hold asks for. */
  places(): Places[] {
    return [...this.wanted].filter(([, n]) => n > 0).map(([areaID, quantity]) => ({ areaID, quantity }));
  }

  /** The places asked for, as words and their price. */
  summary(): { words: string[]; total: number } {
    const wanted = this.places();
    return {
      words: wanted.map((p) => `${plural(p.quantity, 'standing place')} in ${this.name(p.areaID)}`),
      total: wanted.reduce((sum, p) => sum + p.quantity * (this.area(p.areaID)?.price ?? 0), 0),
    };
  }

  /** After a hold: the places now held (as the service says), and nothing more asked for. */
  holding(places: Places[]): void {
    this.held = places;
    this.wanted.clear();
    for (const a of this.areas) this.paint(a.areaID);
  }

  heldWords(): string[] {
    return this.held.map((p) => `${plural(p.quantity, 'standing place')} in ${this.name(p.areaID)}`);
  }

  private area = (id: string) => this.areas.find((a) => a.areaID === id);
  private name = (id: string) => this.area(id)?.name ?? 'a standing area';

  private item(area: Area, category: string, currency: string): HTMLLIElement {
    const li = document.createElement('li');
    li.className = 'area';
    li.dataset.area = area.areaID;
    const about = document.createElement('div');
    const title = document.createElement('strong');
    title.textContent = area.name;
    const detail = document.createElement('span');
    detail.className = 'area-detail';
    const left = document.createElement('span');
    left.className = 'area-left';
    detail.append(`${category} · ${money(area.price, currency)} each · `, left);
    about.append(title, detail);

    const stepper = document.createElement('div');
    stepper.className = 'stepper';
    // Not an <output>: its implicit role "status" would compete with the page's one status line.
    const count = document.createElement('span');
    count.className = 'count';
    count.setAttribute('aria-live', 'polite');
    count.setAttribute('aria-label', `Places in ${area.name}`);
    const step = (by: number, text: string, label: string) => {
      const button = document.createElement('button');
      button.type = 'button';
      button.textContent = text;
      button.setAttribute('aria-label', label);
      button.dataset.step = String(by);
      button.addEventListener('click', () => {
        this.wanted.set(area.areaID, this.count(area) + by);
        this.paint(area.areaID);
        this.changed();
      });
      return button;
    };
    stepper.append(
      step(-1, '−', `One place fewer in ${area.name}`),
      count,
      step(+1, '+', `One place more in ${area.name}`),
    );
    li.append(about, stepper);
    this.paintItem(li, area);
    return li;
  }

  private count = (area: Area) => this.wanted.get(area.areaID) ?? 0;

  private paint(areaID: string): void {
    const area = this.area(areaID);
    const li = document.querySelector<HTMLLIElement>(`li.area[data-area="${CSS.escape(areaID)}"]`);
    if (area && li) this.paintItem(li, area);
  }

  private paintItem(li: HTMLLIElement, area: Area): void {
    const n = this.count(area);
    li.querySelector('.area-left')!.textContent = `${area.available} of ${area.capacity} left`;
    li.querySelector('.count')!.textContent = String(n);
    li.querySelector<HTMLButtonElement>('[data-step="-1"]')!.disabled = n === 0;
    li.querySelector<HTMLButtonElement>('[data-step="1"]')!.disabled = n >= Math.min(MOST, area.available);
  }
}
