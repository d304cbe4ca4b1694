// Debian's headless Chromium driven by playwright-core (never a browser Playwright downloads).
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM_PATH = process.env.HERALD_CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Flags that keep Chromium to the page under test: no sandbox (root in CI), no GPU, and none of
 * its own network traffic (updates, sync, QUIC), which a closed network refuses anyway. Playwright
 * gives every launch a fresh profile directory of its own.
 */
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`${CHROMIUM_PATH} is missing: install Debian's chromium (scripts/test.sh does)`);
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: ARGS, timeout: 60_000 });
}
