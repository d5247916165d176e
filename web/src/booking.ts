import { api, ApiError, type EventSummary, type Hold, type SeatUpdate } from './api';
import { BestPicker } from './best-picker';
import { HoldCountdown } from './countdown';
import { clockTime, list, money } from './format';
import { LIVE_WORDS, LiveSeats } from './live';
import { Checkout } from './checkout';
import { humanMessage } from './messages';
import { Prices } from './prices';
import { saveBooking } from './my-booking';
import { SeatMap, SEAT_WORDS, type SeatInfo, type SeatView } from './seat-map';
import { StandingAreas } from './standing';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

/** One event's page: the map, the viewer's selection and hold, and checkout. */
export class Booking {
  private event: EventSummary | undefined;
  private seats = new Map<string, SeatInfo>();
  private selected = new Set<string>();
  /** The seats this tab holds; they all share one deadline, which tells them apart from others' holds. */
  private mine = new Set<string>();
  private until: string | null = null;
  private busy = false;
  private prices = new Prices();
  private readonly checkout = new Checkout();
  private readonly map: SeatMap;
  private readonly live: LiveSeats;
  private readonly picker = new BestPicker((quantity, category) => void this.best(quantity, category));
  private readonly standing = new StandingAreas(() => this.panel());
  private readonly countdown = new HoldCountdown({
    warn: () => this.ui.status('One minute left on your hold.'),
    expired: () => this.expired(),
  });

  constructor(
    private readonly ui: {
      root: HTMLElement;
      status(text: string): void;
      error(text: string | null): void;
      /** How many seats are free now, for the list of events. */
      available(eventID: string, count: number): void;
    },
  ) {
    this.map = new SeatMap($('seatmap'), {
      pick: (id) => this.pick(id),
      inspect: (id) => this.inspect(id),
    });
    this.live = new LiveSeats({
      seats: (updates) => this.apply(updates),
      areas: (updates) => this.standing.counts(updates),
      state: (state) => ($('live').textContent = LIVE_WORDS[state]),
    });
    $('hold').addEventListener('click', () => void this.hold());
    $('release').addEventListener('click', () => void this.release());
    $<HTMLFormElement>('checkout').addEventListener('submit', (e) => {
      e.preventDefault();
      void this.pay();
    });
  }

  async open(event: EventSummary): Promise<void> {
    if (this.event?.eventID === event.eventID) return;
    this.close();
    this.event = event;
    $('event-name').textContent = event.name;
    this.checkout.hideReceipt();
    try {
      const { seats, categories = [], areas = [] } = await api.seats(event.eventID);
      this.prices = new Prices(categories);
      this.prices.legend($('prices'), event.currency);
      this.picker.show(categories, event.currency);
      this.standing.show(areas, categories, event.currency);
      for (const s of seats) {
        this.seats.set(s.seatID, s);
        if (s.lockedByMe) {
          this.mine.add(s.seatID);
          this.until = s.lockUntil;
        }
      }
    } catch (e) {
      this.ui.error(`The seats could not be loaded. ${humanMessage(e, (id) => id)}`);
      return;
    }
    this.map.render([...this.seats.values()], (key) => this.prices.colour(key));
    this.paint([...this.seats.keys()]);
    this.ui.root.hidden = false;
    this.live.open(api.streamUrl(event.eventID));
    this.panel();
  }

  close(): void {
    this.live.close();
    this.countdown.stop();
    this.event = undefined;
    this.seats.clear();
    this.selected.clear();
    this.mine.clear();
    this.until = null;
    this.ui.root.hidden = true;
  }

  private name = (id: string) => this.seats.get(id)?.name ?? 'a seat';
  /** Seat names in map order (the seats were loaded in it), whatever order the IDs came in. */
  private names = (ids: Iterable<string>) => {
    const wanted = new Set(ids);
    return list([...this.seats.keys()].filter((id) => wanted.has(id)).map(this.name));
  };
  private price = (seat: SeatInfo) => money(seat.price, this.event?.currency ?? 'EUR');

  private view(seat: SeatInfo): SeatView {
    if (seat.status === 'confirmed') return 'sold';
    if (seat.status === 'available') return 'available';
    return this.mine.has(seat.seatID) && seat.lockUntil === this.until ? 'mine' : 'taken';
  }

  private paint(ids: Iterable<string>): void {
    for (const id of ids) {
      const seat = this.seats.get(id);
      if (seat) this.map.show(seat, this.view(seat), this.selected.has(id), this.price(seat));
    }
  }

  /** Changes from the live stream (or from our own answers, which may arrive before it). */
  private apply(updates: SeatUpdate[]): void {
    const lost: string[] = [];
    const freed: string[] = [];
    const until = this.until;
    for (const u of updates) {
      const seat = this.seats.get(u.seatID);
      if (!seat) continue;
      seat.status = u.status;
      seat.lockUntil = u.lockUntil;
      const view = this.view(seat);
      if (this.selected.has(u.seatID) && (view === 'taken' || view === 'sold')) {
        this.selected.delete(u.seatID);
        lost.push(u.seatID);
      }
      // Our own release, payment and timer take seats out of `mine` before they get here: whatever
      // is left went from outside (the hold ran out on the server first, or another tab let it go).
      if (this.mine.has(u.seatID) && u.status !== 'locked') {
        this.mine.delete(u.seatID);
        freed.push(u.seatID);
      }
    }
    if (this.mine.size === 0) this.until = null;
    this.paint(updates.map((u) => u.seatID));
    if (this.event) {
      let free = 0;
      for (const s of this.seats.values()) if (s.status === 'available') free++;
      this.ui.available(this.event.eventID, free);
    }
    if (lost.length > 0)
      this.ui.status(`${this.names(lost)} ${lost.length === 1 ? 'was' : 'were'} just taken by someone else.`);
    // Within a couple of seconds of the deadline counts as running out: the clocks of the browser
    // and the server need not agree to the millisecond.
    if (freed.length > 0) this.holdLost(freed, until !== null && Date.now() >= Date.parse(until) - 2000);
    this.panel();
  }

  private holdLost(ids: string[], expired: boolean): void {
    this.ui.error(
      expired
        ? `Your hold on ${this.names(ids)} ran out, so the seats are free again. Select and hold them again to book.`
        : `Your hold on ${this.names(ids)} was released (from another tab or window). Select and hold them again to book.`,
    );
  }

  private pick(id: string): void {
    const seat = this.seats.get(id);
    if (!seat) return;
    const view = this.view(seat);
    if (view === 'taken' || view === 'sold' || view === 'mine') {
      this.ui.status(
        `${seat.name} is ${view === 'mine' ? 'already held by you' : view === 'sold' ? 'sold' : 'held by someone else'}.`,
      );
      return;
    }
    if (this.selected.has(id)) this.selected.delete(id);
    else this.selected.add(id);
    this.paint([id]);
    this.panel();
  }

  private inspect(id: string | null): void {
    const seat = id ? this.seats.get(id) : undefined;
    const view = seat ? this.view(seat) : undefined;
    $('seat-info').textContent =
      seat && view
        ? `Seat ${seat.name}${this.prices.label(seat.category)}: ${this.price(seat)} (${SEAT_WORDS[view]}${seat.accessible ? ', wheelchair accessible' : ''})`
        : 'Point at or focus a seat to see its price.';
  }

  private async run(action: () => Promise<void>): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    this.ui.error(null);
    this.panel();
    try {
      await action();
    } catch (e) {
      this.ui.error(humanMessage(e, this.name));
      if (e instanceof ApiError && ['SEATS_UNAVAILABLE', 'NOT_LOCKED', 'LOCK_EXPIRED'].includes(e.code)) {
        for (const id of (e.details.unavailable as string[] | undefined) ?? []) this.selected.delete(id);
      }
    } finally {
      this.busy = false;
      this.panel();
    }
  }

  private hold(): Promise<void> {
    return this.run(async () => {
      const event = this.event;
      const places = this.standing.places();
      if (!event || (this.selected.size === 0 && places.length === 0)) return;
      const res = await api.lock(event.eventID, [...this.selected], places);
      this.selected.clear();
      this.holding(res);
      this.ui.status(
        `You hold ${this.heldWords()} until ${clockTime(this.until!)}. Pay before then to book.`,
      );
    });
  }

  /** Best available: the service picks the seats side by side and holds them in the same step. */
  private best(quantity: number, category: string | undefined): Promise<void> {
    return this.run(async () => {
      const event = this.event;
      if (!event) return;
      const res = await api.best(event.eventID, quantity, category);
      for (const id of res.chosen) this.selected.delete(id);
      this.holding(res);
      if (res.chosen[0]) this.map.reveal(res.chosen[Math.floor(res.chosen.length / 2)]!);
      this.ui.status(
        `We found ${this.names(res.chosen)} for you, held until ${clockTime(res.lockUntil)}. Pay before then to book.`,
      );
    });
  }

  /** A hold answered by the service: every seat and place this session now holds, with one deadline. */
  private holding(res: Hold): void {
    this.checkout.hideReceipt();
    this.mine = new Set(res.seatIDs);
    this.until = res.lockUntil;
    this.countdown.renew();
    this.standing.holding(res.places ?? []);
    this.apply(res.seatIDs.map((seatID) => ({ seatID, status: 'locked', lockUntil: res.lockUntil })));
  }

  private heldWords = () => list([this.names(this.mine), ...this.standing.heldWords()].filter(Boolean));
  private holdsAny = () => this.mine.size > 0 || this.standing.heldWords().length > 0;

  private release(): Promise<void> {
    return this.run(async () => {
      const event = this.event;
      if (!event) return;
      const { released } = await api.release(event.eventID);
      this.mine.clear();
      this.until = null;
      this.standing.holding([]);
      this.apply(released.map((seatID) => ({ seatID, status: 'available', lockUntil: null })));
      this.ui.status(released.length > 0 ? `Released ${this.names(released)}.` : 'You held no seats.');
    });
  }

  private pay(): Promise<void> {
    return this.run(async () => {
      const event = this.event;
      if (!event || !this.holdsAny()) return;
      try {
        const result = await this.checkout.pay(event.eventID);
        if (result.kind === 'invalid') return this.ui.error(result.message);
        const { reservation, order } = result;
        const booked = list([this.names(reservation.seatIDs), ...this.standing.heldWords()].filter(Boolean));
        this.mine.clear();
        this.until = null;
        this.standing.holding([]);
        this.apply(reservation.seatIDs.map((seatID) => ({ seatID, status: 'confirmed', lockUntil: null })));
        const amount = this.checkout.showReceipt(booked, reservation, order);
        saveBooking({
          reservation,
          order,
          eventName: event.name,
          seatNames: booked,
          bookedAt: new Date().toISOString(),
        });
        this.ui.status(`Booked! ${booked}, ${amount} paid.`);
      } catch (e) {
        if (!(e instanceof ApiError && e.code === 'PAYMENT_FAILED')) throw e;
        // The hold is kept on a decline: say until when, so the viewer knows how long to retry.
        const until = this.until ? ` They stay yours until ${clockTime(this.until)}.` : '';
        this.ui.error(`${humanMessage(e, this.name)}${until}`);
      }
    });
  }

  /** The side panel: what is selected, what is held and for how long, and what can be done now. */
  private panel(): void {
    const selected = [...this.selected];
    const places = this.standing.summary();
    const total = selected.reduce((sum, id) => sum + (this.seats.get(id)?.price ?? 0), places.total);
    const words = list([this.names(selected), ...places.words].filter(Boolean));
    $('selection').textContent = words
      ? `Selected: ${words} (${money(total, this.event?.currency ?? 'EUR')}).`
      : 'Select available seats on the map, then hold them.';
    $<HTMLButtonElement>('hold').disabled = this.busy || !words;
    $<HTMLButtonElement>('release').disabled = this.busy || !this.holdsAny();
    $<HTMLButtonElement>('pay').disabled = this.busy;
    this.picker.busy = this.busy;
    $('checkout').hidden = !this.holdsAny();
    $('held').textContent = this.holdsAny() ? `You hold ${this.heldWords()}.` : '';
    // The seats may be held without their deadline known yet (loaded before the stream said so).
    this.countdown.show(this.holdsAny() ? this.until : null);
  }

  /** Out of time: the stream turns the seats green too, but the viewer should hear why. */
  private expired(): void {
    const expired = [...this.mine];
    this.mine.clear();
    this.until = null;
    this.standing.holding([]);
    this.apply(expired.map((seatID) => ({ seatID, status: 'available', lockUntil: null })));
    this.holdLost(expired, true);
  }
}
