import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import openapiTS, { astToString } from 'openapi-typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, startApp, type TestApp } from '../helpers/app.js';
import { testStores } from '../helpers/stores.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLIENT_DIR = join(ROOT, 'test', 'openapi', 'typed-client');
const [pglite] = await testStores();

/** tsc over the client folder: its own strict tsconfig, against the generated api.d.ts. */
const typecheck = () =>
  spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', CLIENT_DIR], {
    encoding: 'utf8',
    timeout: 120_000,
  });

describe('a client generated from /openapi.json by openapi-typescript', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(pglite!);
    const document = (await t.app.inject('/openapi.json')).body;
    writeFileSync(join(CLIENT_DIR, 'api.d.ts'), astToString(await openapiTS(document)));
  });
  afterAll(async () => {
    rmSync(join(CLIENT_DIR, 'mistake.ts'), { force: true });
    await t?.close();
  });

  it('type-checks the booking code with no errors, and catches a request of the wrong shape', () => {
    const clean = typecheck();
    expect(clean.stdout + clean.stderr).toBe('');
    expect(clean.status).toBe(0);

    // The types are real, not `any`: a seat list given as a string does not compile.
    writeFileSync(
      join(CLIENT_DIR, 'mistake.ts'),
      [
        "import createClient from 'openapi-fetch';",
        "import type { paths } from './api.js';",
        "const api = createClient<paths>({ baseUrl: 'http://localhost' });",
        "export const wrong = api.POST('/api/lock', { body: { eventID: 'e', seatIDs: 'A1' } });",
        '',
      ].join('\n'),
    );
    const broken = typecheck();
    rmSync(join(CLIENT_DIR, 'mistake.ts'), { force: true });
    expect(broken.status).not.toBe(0);
    expect(broken.stdout).toMatch(/mistake\.ts\(4,\d+\): error TS2322/);
  });

  it('books seats against the running service', async () => {
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    // A path TypeScript does not follow: the root project does not see the generated types.
    const clientModule = join(CLIENT_DIR, 'booking.ts');
    const { bookTwoSeats } = (await import(clientModule)) as {
      bookTwoSeats: (base: string, adminToken: string) => Promise<Record<string, unknown>>;
    };
    const booking = await bookTwoSeats(base, ADMIN_TOKEN);
    expect(booking).toMatchObject({ amount: 5000, status: 'paid' });
    expect(booking.seatIDs).toHaveLength(2);
    const reservations = await t.api.get(`/api/events/${String(booking.eventID)}/reservations`, {
      admin: true,
    });
    expect(reservations.body.reservations).toEqual([
      expect.objectContaining({ reservationID: booking.reservationID, status: 'confirmed' }),
    ]);
  });
});
