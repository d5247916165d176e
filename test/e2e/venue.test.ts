import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_VENUE } from '../../src/services/seed.service.js';
import { ADMIN_TOKEN } from '../helpers/app.js';
import { testStores } from '../helpers/stores.js';
import { liveApp, type LiveApp } from '../stream/helpers.js';
import { browserAvailable, ensureWebBuilt, launch, openEvent } from './browser.js';

const [pglite] = await testStores();

const seat = (page: Page, name: string, view?: string) =>
  page.locator(`button.seat${view ? `.${view}` : ''}[aria-label^="Seat ${name},"]`);

describe.skipIf(!browserAvailable())('a venue in the browser', () => {
  let browser: Browser;
  let t: LiveApp;
  let eventID: string;
  const problems: string[] = [];
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    ensureWebBuilt();
    browser = await launch();
    t = await liveApp(pglite!);
    const created = await t.call('POST', '/api/events', {
      admin: ADMIN_TOKEN,
      body: { name: 'Theatre', currency: 'EUR', ...DEMO_VENUE },
    });
    eventID = created.body.eventID;
  });
  afterAll(async () => {
    await Promise.all(contexts.map((c) => c.close()));
    await browser?.close();
    await t?.close();
  });

  const open = (viewport = { width: 1280, height: 800 }) =>
    openEvent(browser, `${t.base}/#event=${eventID}`, { contexts, problems, viewport });

  it('draws sections and rows in category colours with a price legend and accessible seats', async () => {
    const page = await open();
    expect(await page.getByRole('list', { name: 'Prices' }).textContent()).toBe(
      'Premium €45.00Standard €25.00',
    );
    expect(await page.getByRole('group', { name: 'Stalls', exact: true }).isVisible()).toBe(true);
    expect(await page.getByRole('group', { name: 'Balcony, row C' }).locator('button.seat').count()).toBe(20);
    expect(await seat(page, 'Stalls A-1').getAttribute('class')).toContain('cat-0');
    expect(await seat(page, 'Balcony A-1').getAttribute('class')).toContain('cat-1');
    const wheelchair = seat(page, 'Stalls G-1');
    expect(await wheelchair.textContent()).toBe('♿');
    expect(await wheelchair.getAttribute('aria-label')).toBe(
      'Seat Stalls G-1, €25.00, wheelchair accessible, available',
    );
    await seat(page, 'Stalls B-3').hover();
    await page.getByText('Seat Stalls B-3, Premium: €45.00 (available)').waitFor({ timeout: 10_000 });
    expect(problems).toEqual([]);
  });

  it('best available holds the best seats of a category; another viewer sees them taken', async () => {
    const a = await open();
    const b = await open({ width: 390, height: 844 });
    await a.getByLabel('Seats', { exact: true }).selectOption('2');
    await a.getByLabel('Category').selectOption('standard');
    await a.getByRole('button', { name: 'Find the best seats' }).click();
    await seat(a, 'Stalls E-10', 'mine').waitFor({ timeout: 10_000 });
    await seat(a, 'Stalls E-11', 'mine').waitFor();
    expect(await a.getByRole('status').textContent()).toContain(
      'We found Stalls E-10 and Stalls E-11 for you',
    );
    await expect.poll(() => a.locator('#countdown-time').textContent()).toMatch(/^(9:5\d|10:00)$/);
    await seat(b, 'Stalls E-10', 'taken').waitFor({ timeout: 10_000 });
    expect(problems).toEqual([]);
  });

  it('standing areas: a stepper per area, its places sent with the seats in one hold', async () => {
    const page = await open();
    const area = page.getByRole('listitem').filter({ hasText: 'Standing' });
    expect(await area.textContent()).toContain('100 of 100 left');
    const more = page.getByRole('button', { name: 'One place more in Standing' });
    const fewer = page.getByRole('button', { name: 'One place fewer in Standing' });
    expect(await fewer.isDisabled()).toBe(true);
    await more.click();
    await more.click();
    await more.click();
    await fewer.click();
    expect(await page.locator('#selection').textContent()).toBe(
      'Selected: 2 standing places in Standing (€50.00).',
    );

    await seat(page, 'Stalls A-1').click();
    const sent = page.waitForRequest((r) => r.url().endsWith('/api/lock') && r.method() === 'POST');
    await page.getByRole('button', { name: 'Hold seats' }).click();
    const body = (await sent).postDataJSON();
    const areaID = (await t.call('GET', `/api/seats/${eventID}`)).body.areas[0].areaID;
    expect(body).toEqual({
      eventID,
      seatIDs: [await seat(page, 'Stalls A-1').getAttribute('data-seat')],
      places: [{ areaID, quantity: 2 }],
    });
    await seat(page, 'Stalls A-1', 'mine').waitFor({ timeout: 10_000 });
    // The service held them: the page says so, and the area has two places fewer for everyone.
    expect(await page.getByRole('status').textContent()).toContain('2 standing places in Standing');
    expect((await t.call('GET', `/api/seats/${eventID}`)).body.areas[0].available).toBe(98);
    // The live stream brings the new count to the page.
    await expect.poll(() => area.textContent(), { timeout: 10_000 }).toContain('98 of 100 left');
    expect(problems).toEqual([]);
  });
});
