import { mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN } from '../helpers/app.js';
import { testStores } from '../helpers/stores.js';
import { liveApp, setupEvent, type LiveApp } from '../stream/helpers.js';
import { browserAvailable, ensureWebBuilt, launch } from './browser.js';

const [pglite] = await testStores();

const seat = (page: Page, name: string, view?: string) =>
  page.locator(`button.seat${view ? `.${view}` : ''}[aria-label^="Seat ${name},"]`);

describe.skipIf(!browserAvailable())('my booking, after checkout, in a browser', () => {
  let browser: Browser;
  let t: LiveApp;
  beforeAll(async () => {
    ensureWebBuilt();
    browser = await launch();
    t = await liveApp(pglite!);
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('shows the reservation, survives a reload, and the map shows a refund at once', async () => {
    const { eventID } = await setupEvent(t, { rows: 3, seatsPerRow: 8, price: 2500 });
    const context = await browser.newContext({ viewport: { width: 1100, height: 800 } });
    context.setDefaultTimeout(5000);
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(`${t.base}/#event=${eventID}`);
    await page.getByText('Live: seats change here').waitFor();
    await seat(page, 'B3').click();
    await seat(page, 'B4').click();
    await page.getByRole('button', { name: 'Hold seats' }).click();
    await seat(page, 'B4', 'mine').waitFor({ timeout: 10_000 });
    await page.getByLabel('Your name').fill('Grace Hopper');
    await page.getByRole('button', { name: 'Pay and book' }).click();
    await page.getByRole('heading', { name: 'Booked!' }).waitFor({ timeout: 10_000 });
    const reservationID = await page.locator('#receipt-reservation').textContent();
    const orderID = await page.locator('#receipt-order').textContent();

    await page.getByRole('link', { name: 'View my booking' }).click();
    await page.getByRole('heading', { name: 'My booking' }).waitFor();
    const details = async () => ({
      event: await page.locator('#my-booking-event').textContent(),
      status: await page.locator('#my-booking-status').textContent(),
      seats: await page.locator('#my-booking-seats').textContent(),
      amount: await page.locator('#my-booking-amount').textContent(),
      reservation: await page.locator('#my-booking-reservation').textContent(),
      order: await page.locator('#my-booking-order').textContent(),
    });
    const expected = {
      event: 'Live event',
      status: 'Confirmed, paid',
      seats: 'B3 and B4',
      amount: '€50.00',
      reservation: reservationID,
      order: orderID,
    };
    expect(await details()).toEqual(expected);
    expect(await page.locator('#event').isHidden()).toBe(true);
    mkdirSync('test-results', { recursive: true });
    await page.screenshot({ path: 'test-results/my-booking.png', fullPage: true });

    await page.reload();
    await page.getByRole('heading', { name: 'My booking' }).waitFor();
    expect(await details()).toEqual(expected);

    await page.getByRole('link', { name: 'Back to the seats' }).click();
    await seat(page, 'B3', 'sold').waitFor();
    await page.getByText('Live: seats change here').waitFor();
    const refund = await t.call('POST', `/api/reservations/${reservationID}/cancel`, { admin: ADMIN_TOKEN });
    expect(refund.status).toBe(200);
    await seat(page, 'B3', 'available').waitFor({ timeout: 10_000 });
    await seat(page, 'B4', 'available').waitFor({ timeout: 10_000 });

    await page.goto(`${t.base}/#booking=00000000-0000-4000-8000-000000000000`);
    await page.getByText('This booking was not made in this browser').waitFor();
    expect(problems).toEqual([]);
    await context.close();
  });
});
