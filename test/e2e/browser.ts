import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

const ROOT = join(import.meta.dirname, '..', '..');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

function newest(dir: string): number {
  return Math.max(
    ...readdirSync(dir, { withFileTypes: true }).map((e) =>
      e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs,
    ),
  );
}

/** Builds web/dist when it is missing or older than its sources, so the tests see the current UI. */
export function ensureWebBuilt(): void {
  const built = join(ROOT, 'web', 'dist', 'index.html');
  const sources = Math.max(
    newest(join(ROOT, 'web', 'src')),
    statSync(join(ROOT, 'web', 'index.html')).mtimeMs,
  );
  if (existsSync(built) && statSync(built).mtimeMs >= sources) return;
  execFileSync(
    process.execPath,
    [join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', 'web', '--logLevel', 'warn'],
    {
      cwd: ROOT,
      stdio: 'inherit',
    },
  );
}

/** Debian's Chromium (never a downloaded build), headless and quiet. */
export function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/** Chromium present, or a CI run, which must fail rather than skip without it. */
export const browserAvailable = (): boolean => existsSync(CHROMIUM) || process.env.CI === 'true';

type PageOptions = {
  contexts: BrowserContext[];
  problems: string[];
  viewport?: { width: number; height: number };
};

/** An event's page in a new browser context (see openPage), once its live stream is up. */
export async function openEvent(browser: Browser, url: string, o: PageOptions): Promise<Page> {
  const page = await openPage(browser, url, o);
  await page.getByText('Live: seats change here').waitFor({ timeout: 5000 });
  return page;
}

/**
 * A page in a new browser context. Script errors and CSP violations go into `problems` (a page must have
 * none); API answers of 4xx are logged by the browser too, but those are expected, and shown to the user
 * in words.
 */
export async function openPage(browser: Browser, url: string, o: PageOptions): Promise<Page> {
  const context = await browser.newContext({ viewport: o.viewport ?? { width: 1200, height: 900 } });
  o.contexts.push(context);
  // Short: a step that cannot happen should fail with its own name, well inside the test's time.
  context.setDefaultTimeout(5000);
  const page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource: the server responded'))
      o.problems.push(m.text());
  });
  page.on('pageerror', (e) => o.problems.push(e.message));
  await page.goto(url);
  return page;
}
