import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { startApp, type TestApp } from '../helpers/app.js';
import { testStores } from '../helpers/stores.js';

const [pglite] = await testStores();

const newSession = (t: TestApp, o: { remoteAddress?: string; forwardedFor?: string } = {}) =>
  t.app.inject({
    method: 'POST',
    url: '/api/sessions',
    ...(o.remoteAddress && { remoteAddress: o.remoteAddress }),
    ...(o.forwardedFor && { headers: { 'x-forwarded-for': o.forwardedFor } }),
  });

describe('the cap on new sessions per client address', () => {
  let direct: TestApp;
  let proxied: TestApp;
  beforeAll(async () => {
    // The general limit is off (as in load tests): the cap on new sessions works on its own.
    direct = await startApp(pglite!, {
      env: { SESSIONS_PER_MINUTE_PER_IP: '3', RATE_LIMIT_PER_MINUTE: '0' },
    });
    proxied = await startApp(pglite!, { env: { SESSIONS_PER_MINUTE_PER_IP: '2', TRUST_PROXY: '1' } });
  });
  afterAll(async () => {
    await direct?.close();
    await proxied?.close();
  });

  it('answers 429 RATE_LIMITED with Retry-After past the cap, per address, and limits nothing else', async () => {
    for (let i = 0; i < 3; i++)
      expect((await newSession(direct, { remoteAddress: '198.51.100.1' })).statusCode).toBe(201);
    const refused = await newSession(direct, { remoteAddress: '198.51.100.1' });
    expect(refused.statusCode).toBe(429);
    expect(refused.json()).toMatchObject({ error: 'RATE_LIMITED' });
    const retryAfter = Number(refused.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    // Another address has its own budget; a proxy's header is not believed unless configured.
    expect((await newSession(direct, { remoteAddress: '198.51.100.2' })).statusCode).toBe(201);
    expect(
      (await newSession(direct, { remoteAddress: '198.51.100.1', forwardedFor: '203.0.113.9' })).statusCode,
    ).toBe(429);
    // Sessions already made keep working: the cap is on starting sessions only.
    const sid = (await newSession(direct, { remoteAddress: '198.51.100.3' })).json().sessionID;
    for (let i = 0; i < 20; i++)
      expect((await direct.api.get('/api/events', { session: sid })).status).toBe(200);
  });

  it('behind a trusted proxy, counts by the forwarded client address', async () => {
    const proxy = { remoteAddress: '10.0.0.5' };
    for (const client of ['203.0.113.1', '203.0.113.2'])
      for (let i = 0; i < 2; i++)
        expect((await newSession(proxied, { ...proxy, forwardedFor: client })).statusCode).toBe(201);
    expect((await newSession(proxied, { ...proxy, forwardedFor: '203.0.113.1' })).statusCode).toBe(429);
  });

  it('is configured in the environment: 0 is off, anything else but a whole number stops the start', () => {
    expect(loadConfig({}).SESSIONS_PER_MINUTE_PER_IP).toBe(0);
    expect(loadConfig({ SESSIONS_PER_MINUTE_PER_IP: '30' }).SESSIONS_PER_MINUTE_PER_IP).toBe(30);
    expect(() => loadConfig({ SESSIONS_PER_MINUTE_PER_IP: '-1' })).toThrow(/SESSIONS_PER_MINUTE_PER_IP/);
    expect(() => loadConfig({ SESSIONS_PER_MINUTE_PER_IP: 'lots' })).toThrow(/SESSIONS_PER_MINUTE_PER_IP/);
    expect(() => loadConfig({ TRUST_PROXY: '99' })).toThrow(/TRUST_PROXY/);
  });
});
