import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN } from '../helpers/app.js';
import { testStores } from '../helpers/stores.js';
import { liveApp, type LiveApp } from '../stream/helpers.js';
import { browserAvailable, ensureWebBuilt, launch, openPage } from './browser.js';

const [pglite] = await testStores();
const PHONE = { width: 390, height: 844 };
// `npm run screenshots` keeps them in docs/screenshots; a plain test run leaves the tree as it was.
const SHOTS = process.env.SCREENSHOTS_DIR ?? join(tmpdir(), 'seats-screenshots');

describe.skipIf(!browserAvailable())('the waiting room in a browser', () => {
  let browser: Browser;
  let t: LiveApp;
  const problems: string[] = [];
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    ensureWebBuilt();
    mkdirSync(SHOTS, { recursive: true });
    browser = await launch();
    t = await liveApp(pglite!);
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });
  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((c) => c.close()));
    problems.length = 0;
  });

  const open = (eventID: string, viewport = { width: 1200, height: 900 }) =>
    openPage(browser, `${t.base}/#event=${eventID}`, { contexts, problems, viewport });

  async function onSale(
    name: string,
    queue: { opensAt: Date; admitPerMinute: number; admissionSeconds: number },
  ) {
    const created = await t.call('POST', '/api/events', {
      body: { name, currency: 'EUR', layout: { rows: 6, seatsPerRow: 12, price: 4500 } },
      admin: ADMIN_TOKEN,
    });
    const eventID: string = created.body.eventID;
    const put = await t.call('PUT', `/api/events/${eventID}/queue`, {
      body: { ...queue, opensAt: queue.opensAt.toISOString() },
      admin: ADMIN_TOKEN,
    });
    expect(put.status).toBe(200);
    return eventID;
  }

  const crowd = async (eventID: string, n: number) => {
    for (let i = 0; i < n; i++) {
      const sid = (await t.call('POST', '/api/sessions')).body.sessionID;
      await t.call('POST', `/api/events/${eventID}/queue`, { session: sid });
    }
  };

  it('before the opening: join, then wait for the draw', async () => {
    const eventID = await onSale('Spring gala', {
      opensAt: new Date(Date.now() + 3_600_000),
      admitPerMinute: 120,
      admissionSeconds: 600,
    });
    const page = await open(eventID);
    await page.getByRole('button', { name: 'Join the queue' }).waitFor();
    expect(await page.locator('#event').isVisible()).toBe(false);
    await page.screenshot({ path: `${SHOTS}/queue-join.png`, fullPage: true });
    await page.getByRole('button', { name: 'Join the queue' }).click();
    await page.getByText('Your place is drawn at random then').waitFor();
    await page.screenshot({ path: `${SHOTS}/queue-before-opening.png`, fullPage: true });
    expect(problems).toEqual([]);
  });

  it('waiting with a place and an estimate, live; then straight into the seat map with a countdown', async () => {
    const opensAt = new Date(Date.now() - 1000);
    const eventID = await onSale('Summer arena tour', {
      opensAt,
      admitPerMinute: 6,
      admissionSeconds: 300,
    });
    await crowd(eventID, 30);
    const page = await open(eventID);
    const phone = await open(eventID, PHONE);
    for (const p of [page, phone]) await p.getByRole('button', { name: 'Join the queue' }).click();
    const place = page.locator('.queue-place');
    await expect
      .poll(async () => Number((await place.textContent())?.replace(/\D/g, '')), { timeout: 5000 })
      .toBeGreaterThan(20);
    await page.getByText(/Estimated wait: about \d+ minutes/).waitFor();
    await phone.getByText(/Estimated wait/).waitFor();
    // Live: the place moves down as others are admitted, without a reload. The bounds are generous:
    // with the whole suite running beside it on two cores, the browser alone can fall seconds behind.
    const first = Number((await place.textContent())!.replace(/\D/g, ''));
    await expect
      .poll(async () => Number((await place.textContent())?.replace(/\D/g, '')), { timeout: 30_000 })
      .toBeLessThan(first);
    await page.screenshot({ path: `${SHOTS}/queue-waiting.png`, fullPage: true });
    await phone.screenshot({ path: `${SHOTS}/queue-waiting-phone.png`, fullPage: true });

    // The admin speeds the queue up: both are admitted and land on the seat map by themselves.
    const faster = await t.call('PUT', `/api/events/${eventID}/queue`, {
      body: { opensAt: opensAt.toISOString(), admitPerMinute: 60_000, admissionSeconds: 300 },
      admin: ADMIN_TOKEN,
    });
    expect(faster.status).toBe(200);
    for (const p of [page, phone])
      await p.getByText(/Your turn: [45]:\d\d left to hold seats/).waitFor({ timeout: 30_000 });
    expect(await page.locator('.queue').isVisible()).toBe(false);
    await page.locator('button.seat[aria-label^="Seat C6,"]').click();
    await page.locator('button.seat[aria-label^="Seat C7,"]').click();
    await page.getByRole('button', { name: 'Hold seats' }).click();
    await page.locator('button.seat.mine[aria-label^="Seat C7,"]').waitFor({ timeout: 10_000 });
    await page.screenshot({ path: `${SHOTS}/queue-admitted.png`, fullPage: true });
    expect(problems).toEqual([]);
  });

  it('after the admission ends: no more holds, and a clear word why', async () => {
    const eventID = await onSale('Late show', {
      opensAt: new Date(Date.now() - 1000),
      admitPerMinute: 60_000,
      admissionSeconds: 2,
    });
    const page = await open(eventID);
    await page.getByRole('button', { name: 'Join the queue' }).click();
    await page.getByText(/Your turn: 0:0\d left/).waitFor({ timeout: 5000 });
    await page.locator('.admission.over').waitFor({ timeout: 5000 });
    await page.locator('button.seat[aria-label^="Seat A1,"]').click();
    await page.getByRole('button', { name: 'Hold seats' }).click();
    await expect
      .poll(() => page.getByRole('alert').textContent())
      .toContain('Your turn in the waiting room has ended');
    await page.screenshot({ path: `${SHOTS}/queue-admission-ended.png`, fullPage: true });
    expect(problems).toEqual([]);
  });
});
