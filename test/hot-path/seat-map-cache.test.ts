import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type TestApp } from '../helpers/app.js';
import { testStores } from '../helpers/stores.js';

for (const store of await testStores()) {
  describe(`the seat map as a cached document on ${store.name}`, () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startApp(store);
    });
    afterAll(() => t.close());

    const raw = (url: string, headers: Record<string, string> = {}) =>
      t.app.inject({ method: 'GET', url, headers });

    it('answers 304 to its current ETag, and a new ETag once a seat changes', async () => {
      const { eventID, seatIDs } = await t.api.event();
      const first = await raw(`/api/seats/${eventID}`);
      const etag = first.headers.etag as string;
      expect(etag).toMatch(/^"[\w-]+"$/);
      expect(first.headers['cache-control']).toBe('no-cache');
      const again = await raw(`/api/seats/${eventID}`, { 'if-none-match': etag });
      expect(again.statusCode).toBe(304);
      expect(again.body).toBe('');
      expect((await raw(`/api/seats/${eventID}`, { 'if-none-match': `"other", W/${etag}` })).statusCode).toBe(
        304,
      );

      const sid = await t.api.session();
      expect(
        (await t.api.post('/api/lock', { eventID, seatIDs: [seatIDs[0]] }, { session: sid })).status,
      ).toBe(200);
      const changed = await raw(`/api/seats/${eventID}`, { 'if-none-match': etag });
      expect(changed.statusCode).toBe(200);
      expect(changed.headers.etag).not.toBe(etag);
      expect(JSON.parse(changed.body).seats[0].status).toBe('locked');

      // The holder's own copy marks its seat, under a tag of its own.
      const mine = await raw(`/api/seats/${eventID}`, { 'x-session-id': sid });
      expect(JSON.parse(mine.body).seats[0].lockedByMe).toBe(true);
      expect(mine.headers.etag).not.toBe(changed.headers.etag);
      expect(
        (await raw(`/api/seats/${eventID}`, { 'if-none-match': mine.headers.etag as string })).statusCode,
      ).toBe(200);
    });

    it('compresses with br or gzip as the client accepts, to the same document', async () => {
      const { eventID } = await t.api.event({ rows: 40, seatsPerRow: 50, price: 1000 });
      const plain = await raw(`/api/seats/${eventID}`);
      expect(plain.headers['content-encoding']).toBeUndefined();
      const br = await raw(`/api/seats/${eventID}`, { 'accept-encoding': 'gzip, deflate, br' });
      expect(br.headers['content-encoding']).toBe('br');
      expect(br.headers.vary).toContain('accept-encoding');
      expect(brotliDecompressSync(br.rawPayload).toString()).toBe(plain.body);
      expect(br.rawPayload.length).toBeLessThan(plain.rawPayload.length / 5);
      const gz = await raw(`/api/seats/${eventID}`, { 'accept-encoding': 'gzip' });
      expect(gz.headers['content-encoding']).toBe('gzip');
      expect(gunzipSync(gz.rawPayload).toString()).toBe(plain.body);
      expect(br.headers.etag).toBe(plain.headers.etag);
    });
  });
}
