import './styles.css';
import { api, type EventSummary } from './api';
import { Booking } from './booking';
import { humanMessage } from './messages';
import { bookingFromHash, showBooking } from './my-booking';
import { plural } from './format';
import { WaitingRoom } from './queue';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

const eventsList = $<HTMLUListElement>('events');
const alert = $<HTMLDivElement>('error');
let events: EventSummary[] = [];

const booking = new Booking({
  root: $('event'),
  status: (text) => announce(text),
  error: (text) => showError(text),
  available: (eventID, count) => {
    const event = events.find((e) => e.eventID === eventID);
    if (!event || event.availableCount === count) return;
    event.availableCount = count;
    renderEvents(eventID);
  },
});

// An event with a waiting room shows its queue first, and its seat map once the visitor is admitted.
const room = new WaitingRoom({
  before: $('event'),
  open: (event) => booking.open(event),
  close: () => booking.close(),
  status: (text) => announce(text),
  error: (text) => showError(text),
});

function announce(text: string): void {
  const status = $('status');
  // Cleared first, so that the same sentence twice is announced twice.
  status.textContent = '';
  requestAnimationFrame(() => (status.textContent = text));
}

function showError(text: string | null): void {
  alert.textContent = text ?? '';
  alert.hidden = !text;
}

function selectedFromHash(): string | undefined {
  return /^#event=([\w-]+)$/.exec(location.hash)?.[1];
}

function renderEvents(current?: string): void {
  eventsList.replaceChildren(
    ...events.map((e) => {
      const li = document.createElement('li');
      const link = document.createElement('a');
      link.href = `#event=${e.eventID}`;
      link.textContent = e.name;
      if (e.eventID === current) link.setAttribute('aria-current', 'page');
      const count = document.createElement('span');
      count.className = 'count';
      count.textContent = `${e.availableCount} of ${plural(e.seatCount, 'seat')} free`;
      li.append(link, ' ', count);
      return li;
    }),
  );
  if (events.length === 0) eventsList.innerHTML = '<li>No events yet.</li>';
}

async function route(): Promise<void> {
  const reservationID = bookingFromHash(location.hash);
  showBooking(reservationID);
  if (reservationID !== undefined) {
    booking.close();
    renderEvents();
    return;
  }
  const wanted = selectedFromHash() ?? events[0]?.eventID;
  const event = events.find((e) => e.eventID === wanted);
  renderEvents(event?.eventID);
  if (event) await room.enter(event);
  else {
    room.leave();
    booking.close();
  }
}

async function start(): Promise<void> {
  try {
    events = (await api.events()).events;
    showError(null);
  } catch (e) {
    showError(`The events could not be loaded. ${humanMessage(e, (id) => id)}`);
    return;
  }
  await route();
}

window.addEventListener('hashchange', () => void route());
void start();
