import { mapLimit, type ApiClient, type CpuShare } from '../lib/client.js';
import type { LatencySummary } from '../lib/stats.js';

export interface User {
  token: string;
  customerId: string;
}

export const PAYMENT = { token: 'tok_bench_visa' };

/** A session and a customer to pay with: setup, not timed. */
export async function newUsers(api: ApiClient, count: number, parallel: number): Promise<User[]> {
  return mapLimit(
    Array.from({ length: count }, (_, i) => i),
    parallel,
    async (i) => {
      const s = await api.call('setup', 'POST', '/api/sessions', { untimed: true });
      if (s.status !== 201) throw new Error(`POST /api/sessions answered ${s.status}`);
      const c = await api.call('setup', 'POST', '/api/customers', {
        body: { name: `bench ${i}` },
        untimed: true,
      });
      if (c.status !== 201) throw new Error(`POST /api/customers answered ${c.status}`);
      return { token: String(s.body.sessionID), customerId: String(c.body.customerID) };
    },
  );
}

export interface SeatView {
  seatID: string;
  status: 'available' | 'locked' | 'confirmed';
}

export async function seatMap(
  api: ApiClient,
  eventId: string,
  o: { session?: string; endpoint?: string; untimed?: boolean } = {},
): Promise<{ status: number; seats: SeatView[] }> {
  const r = await api.call(o.endpoint ?? 'seats', 'GET', `/api/seats/${eventId}`, {
    session: o.session,
    untimed: o.untimed,
  });
  return { status: r.status, seats: r.status === 200 ? (r.body.seats as SeatView[]) : [] };
}

/** What every load-generator job answers, besides its own figures. */
export interface JobResult {
  endpoints: Record<string, LatencySummary>;
  generatorCpu: CpuShare;
  durationS: number;
  networkErrors: number;
  /** Unexpected statuses, a few of each, to show what went wrong. */
  unexpected: string[];
}

export class Unexpected {
  readonly samples: string[] = [];
  private readonly seen = new Map<string, number>();
  note(what: string, status: number, body: unknown): void {
    const key = `${what} ${status}`;
    const n = (this.seen.get(key) ?? 0) + 1;
    this.seen.set(key, n);
    if (n <= 3) this.samples.push(`${key}: ${JSON.stringify(body).slice(0, 200)}`);
  }
  get total(): number {
    return [...this.seen.values()].reduce((a, b) => a + b, 0);
  }
}

/** Tells the orchestrator where the measured window starts and ends, so that it reads CPU times there. */
export type Mark = (m: 'start' | 'end') => void;
