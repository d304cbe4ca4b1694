// One test file's console: a real Herald (API, worker, Redis), Debian's Chromium on the console's
// page, and what the page did that it must not (script errors, CSP refusals, secrets in URLs).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { receiverPool, startHerald, waitFor, type Herald, type HeraldOptions } from '@herald/testing';
import { launchChromium } from './browser';

export const SCREENSHOTS = join(__dirname, '..', '..', '..', '..', 'docs', 'screenshots');
/** How long a locator waits for the page: deliveries, retries and polling take seconds here. */
export const UI_TIMEOUT_MS = 20_000;

export interface ConsoleRun {
  herald: Herald;
  browser: Browser;
  receivers: ReturnType<typeof receiverPool>;
  /** Every URL the pages of this run asked for. */
  requestedUrls: string[];
  /** Console errors and uncaught exceptions of the pages of this run, each after its page's URL. */
  pageErrors: string[];
  /** A fresh browser context (its own sessionStorage and cookies) with one page on the console. */
  newPage(): Promise<{ context: BrowserContext; page: Page }>;
  /** Opens the console and signs in with `token` (default: the admin token). */
  signIn(page: Page, token?: string): Promise<void>;
  screenshot(page: Page, name: string): Promise<void>;
  close(): Promise<void>;
}

export async function startConsole(name: string, options: HeraldOptions = {}): Promise<ConsoleRun> {
  const herald = await startHerald(name, options);
  const browser = await launchChromium().catch(async (error: unknown) => {
    await herald.stop();
    throw error;
  });
  const contexts: BrowserContext[] = [];
  const requestedUrls: string[] = [];
  const pageErrors: string[] = [];
  const receivers = receiverPool();
  return {
    herald,
    browser,
    receivers,
    requestedUrls,
    pageErrors,
    async newPage() {
      const context = await browser.newContext({ baseURL: herald.api.url, viewport: { width: 1280, height: 900 }, locale: 'en-GB', timezoneId: 'UTC' });
      contexts.push(context);
      await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: herald.api.url });
      context.setDefaultTimeout(UI_TIMEOUT_MS);
      context.setDefaultNavigationTimeout(UI_TIMEOUT_MS);
      const page = await context.newPage();
      page.on('request', (request) => requestedUrls.push(request.url()));
      page.on('console', (message) => {
        if (message.type() === 'error') pageErrors.push(`${page.url()}: ${message.text()}`);
      });
      page.on('pageerror', (error) => pageErrors.push(`${page.url()}: uncaught: ${error.message}`));
      return { context, page };
    },
    async signIn(page, token = herald.api.token) {
      await page.goto('/admin/');
      await page.getByLabel('Token').fill(token);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('button', { name: 'Sign out' }).waitFor();
    },
    async screenshot(page, file) {
      mkdirSync(SCREENSHOTS, { recursive: true });
      await page.screenshot({ path: join(SCREENSHOTS, `${file}.png`), fullPage: true });
    },
    async close() {
      for (const context of contexts.splice(0)) await context.close().catch(() => undefined);
      await browser.close().catch(() => undefined);
      await receivers.closeAll();
      await herald.stop();
    },
  };
}

/** Waits until an element's attribute has `value` (an ARIA state the page sets after the API answered). */
export async function attributeBecomes(locator: Locator, name: string, value: string, timeoutMs = UI_TIMEOUT_MS): Promise<void> {
  await waitFor(async () => (await locator.getAttribute(name, { timeout: timeoutMs })) === value, {
    timeoutMs,
    message: `${name}="${value}" on ${String(locator)}`,
  });
}
