import { DomainError } from '../domain/errors.js';
import type { SeatChangeRecord } from '../domain/types.js';
import { isUuid } from '../domain/validation.js';
import type { EventRepository, SeatHistoryRepository, SeatRepository } from './ports.js';

/** Who bought a seat, when, and whether it was refunded: every sale and refund, oldest first. */
export class SeatHistoryService {
  constructor(
    private readonly deps: { history: SeatHistoryRepository; events: EventRepository; seats: SeatRepository },
  ) {}

  async changes(eventId: string, seatId?: string): Promise<{ changes: SeatChangeRecord[] }> {
    const { deps } = this;
    if (!isUuid(eventId) || !(await deps.events.get(eventId)))
      throw new DomainError('NOT_FOUND', 'Unknown event.');
    if (seatId !== undefined && (!isUuid(seatId) || (await deps.seats.find(eventId, [seatId])).length === 0))
      throw new DomainError('VALIDATION_ERROR', 'That seat is not in this event.', { unknown: [seatId] });
    return { changes: await deps.history.list(eventId, seatId) };
  }
}
