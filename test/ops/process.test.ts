import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ADMIN_TOKEN } from '../helpers/app.js';
import { request } from '../helpers/http.js';
import { startServer } from '../helpers/server-process.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('the server process', () => {
  it('an invalid setting stops the start with a message naming the variable', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: ROOT,
      env: { ...process.env, LOCK_TTL_SECONDS: 'ten', DATA_DIR: 'memory://' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/LOCK_TTL_SECONDS/);
  });

  it('logs requests as JSON without session IDs or the admin token, and stops cleanly on SIGTERM', async () => {
    const server = await startServer({
      DATA_DIR: 'memory://',
      LOG_LEVEL: 'info',
      ADMIN_TOKEN,
      SEED_DEMO: 'true',
    });
    const { base } = server;
    const sid = (await request(base, 'POST', '/api/sessions')).body.sessionID as string;
    const events = (await request(base, 'GET', '/api/events', { session: sid })).body.events;
    expect(events[0].name).toBe('Demo Concert');
    const seat = (await request(base, 'GET', `/api/seats/${events[0].eventID}`)).body.seats[0].seatID;
    await request(base, 'POST', '/api/lock', {
      session: sid,
      body: { eventID: events[0].eventID, seatIDs: [seat] },
    });
    await request(base, 'GET', `/api/events/${events[0].eventID}/reservations`, { admin: ADMIN_TOKEN });
    await fetch(`${base}/api/events`, { headers: { cookie: `sid=${sid}` } });
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    const out = server.output();
    expect(out).toMatch(/"msg":"request completed"/);
    expect(out).not.toContain(sid);
    expect(out).not.toContain(ADMIN_TOKEN);
  });
});
