import { ApiError } from './api';
import { list } from './format';

/** Every error the API can give, as a sentence a customer understands and can act on. */
export function humanMessage(e: unknown, seatName: (id: string) => string): string {
  if (!(e instanceof ApiError)) return 'Something went wrong in this page. Please reload it and try again.';
  const ids = (key: string) => (Array.isArray(e.details[key]) ? (e.details[key] as string[]) : []);
  switch (e.code) {
    case 'SEATS_UNAVAILABLE': {
      const names = ids('unavailable').map(seatName);
      return names.length > 0
        ? `Sorry, ${list(names)} ${names.length === 1 ? 'was' : 'were'} just taken by someone else. Please choose other seats.`
        : 'Sorry, some of these seats were just taken by someone else. Please choose other seats.';
    }
    case 'NO_SEATS_TOGETHER': {
      const n = typeof e.details.quantity === 'number' ? e.details.quantity : undefined;
      return `Sorry, ${n ? `no ${n} free seats` : 'no free seats'} side by side fit your choice. Try fewer seats or another category, or pick seats on the map.`;
    }
    case 'LOCK_EXPIRED':
      return 'Your hold ran out before payment, so nothing was charged and the seats were released. Hold them again to continue.';
    case 'NOT_LOCKED':
      return 'You no longer hold these seats (the hold ran out or was released). Hold them again to continue.';
    case 'PAYMENT_FAILED':
      return 'Your card was declined, so nothing was charged. Your seats are still held: try another card.';
    case 'TOO_MANY_SEATS': {
      const max = typeof e.details.max === 'number' ? e.details.max : undefined;
      return max
        ? `You can hold at most ${max} seats in one event. Release some, or choose fewer.`
        : 'That is more seats than one person may hold in an event. Choose fewer.';
    }
    case 'NOT_FOUND':
      return 'This event (or customer) no longer exists. Please reload the page.';
    case 'VALIDATION_ERROR':
      return ids('unknown').length > 0
        ? 'Some of these seats are not part of this event any more. Please reload the page.'
        : `The service could not accept that: ${e.message}`;
    case 'SESSION_REQUIRED':
      return 'Your session ended. Please try again.';
    case 'QUEUE_REQUIRED':
      return typeof e.details.admittedUntil === 'string'
        ? 'Your turn in the waiting room has ended, so you cannot hold more seats. Seats you already hold can still be paid for.'
        : 'This on-sale now has a waiting room: reload the page to join the queue.';
    case 'RATE_LIMITED':
      return 'Too many requests in a short time. Please wait a few seconds and try again.';
    case 'SERVICE_UNAVAILABLE':
      return 'The booking service is briefly unavailable. Nothing was booked; please try again in a moment.';
    case 'NETWORK':
      return 'The booking service cannot be reached. Check your connection and try again.';
    case 'IDEMPOTENCY_CONFLICT':
      return 'This payment was already sent with different details. Please reload the page and try again.';
    default:
      return e.status >= 500
        ? 'Something went wrong on our side. Nothing was booked; please try again.'
        : `That did not work: ${e.message}`;
  }
}
