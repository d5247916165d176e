import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/infra/clock.js';
import { startApp, type TestApp } from '../helpers/app.js';
import { queueOf } from '../helpers/queue.js';
import { testStores } from '../helpers/stores.js';

const [pglite] = await testStores();

describe('the embedded database', () => {
  const dir = mkdtempSync(join(tmpdir(), 'queue-restart-'));
  const clock = new ManualClock();
  const start = () =>
    startApp(pglite!, { clock, queue: { timers: false }, shared: { env: { DATA_DIR: dir } } });
  let t: TestApp | undefined;
  afterAll(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps every place across a restart of the service', async () => {
    t = await start();
    const { eventID } = await t.api.event();
    await queueOf(t).open(eventID, { opensInMs: 1000, admitPerMinute: 60 });
    const sessions = await Promise.all(Array.from({ length: 12 }, () => t!.api.session()));
    for (const s of sessions) await queueOf(t).join(eventID, s);
    clock.advance(1000);
    await queueOf(t).run(eventID, 3000);
    const read = async (app: TestApp) =>
      Promise.all(sessions.map(async (s) => (await queueOf(app).status(eventID, s)).body));
    const before = await read(t);
    expect(before.filter((v) => v.state === 'admitted')).toHaveLength(4);

    await t.close();
    t = await start();
    expect(await read(t)).toEqual(before);
    await queueOf(t).run(eventID, 2000);
    const after = await read(t);
    // The next two in line, and nobody else, were admitted after the restart.
    const next = before.filter((v) => v.position === 1 || v.position === 2).map((v) => before.indexOf(v));
    const newly = after.map((v, i) => (v.state === 'admitted' && before[i].state === 'waiting' ? i : -1));
    expect(newly.filter((i) => i >= 0).sort()).toEqual(next.sort());
  });
});
