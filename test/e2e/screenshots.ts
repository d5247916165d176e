/**
 * Screenshots of the seat map of the demo venue at desktop and phone sizes, into docs/screenshots/:
 * `npm run screenshots`. Someone else holds and has bought a few seats, this viewer has held the best
 * three Standard seats and is choosing standing places.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DEMO_EVENT_ID } from '../../src/services/seed.service.js';
import { testStores } from '../helpers/stores.js';
import { liveApp } from '../stream/helpers.js';
import { ensureWebBuilt, launch } from './browser.js';

const OUT = join(import.meta.dirname, '..', '..', 'docs', 'screenshots');
const SIZES = { desktop: { width: 1280, height: 800 }, phone: { width: 390, height: 844 } };

ensureWebBuilt();
const [pglite] = await testStores();
const t = await liveApp(pglite!, { env: { SEED_DEMO: 'true' } });
const browser = await launch();
try {
  const seats = (await t.call('GET', `/api/seats/${DEMO_EVENT_ID}`)).body.seats as any[];
  const id = (name: string) => seats.find((s) => s.name === name).seatID as string;
  const other = (await t.call('POST', '/api/sessions')).body.sessionID as string;
  await t.call('POST', '/api/lock', {
    session: other,
    body: {
      eventID: DEMO_EVENT_ID,
      seatIDs: ['Stalls A-9', 'Stalls A-10', 'Stalls A-11', 'Stalls A-12'].map(id),
    },
  });
  const customerID = (await t.call('POST', '/api/customers', { body: { name: 'Grace' } })).body.customerID;
  await t.call('POST', '/api/confirm', {
    session: other,
    body: { eventID: DEMO_EVENT_ID, customerID, payment: { token: 'tok_visa' } },
  });
  await t.call('POST', '/api/lock', {
    session: other,
    body: { eventID: DEMO_EVENT_ID, seatIDs: ['Stalls B-10', 'Stalls B-11', 'Balcony A-1'].map(id) },
  });

  mkdirSync(OUT, { recursive: true });
  for (const [size, viewport] of Object.entries(SIZES)) {
    const context = await browser.newContext({ viewport });
    const page = await context.newPage();
    await page.goto(`${t.base}/#event=${DEMO_EVENT_ID}`);
    await page.getByText('Live: seats change here').waitFor({ timeout: 5000 });
    await page.getByLabel('Seats', { exact: true }).selectOption('3');
    await page.getByLabel('Category').selectOption('standard');
    await page.getByRole('button', { name: 'Find the best seats' }).click();
    await page.locator('button.seat.mine').nth(2).waitFor({ timeout: 10_000 });
    await page.getByRole('button', { name: 'One place more in Standing' }).click();
    await page.getByRole('button', { name: 'One place more in Standing' }).click();
    // On a phone the map stays scrolled to the seats just found; a click elsewhere would scroll it away.
    if (size === 'desktop') await page.locator('button.seat.available').first().click();
    await page.screenshot({ path: join(OUT, `${size}.png`), fullPage: size === 'phone' });
    await context.close();
  }
  console.log(`screenshots in ${OUT}`);
} finally {
  await browser.close();
  await t.close();
}
