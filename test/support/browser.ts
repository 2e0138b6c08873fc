/**
 * A real browser for the console's tests: Debian's Chromium driven by playwright-core (which
 * cannot download browsers here). Every request a page makes is recorded, so a test can assert
 * that nothing leaves the OC's origin; screenshots go to test-artifacts/screenshots (not committed).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const SCREENSHOT_DIR = resolve(process.env.SCREENSHOT_DIR ?? 'test-artifacts/screenshots');

/** Why browser tests cannot run here, or null when they can. */
export const browserMissing = existsSync(CHROMIUM_PATH) ? null : `no Chromium at ${CHROMIUM_PATH} (apt-get install -y chromium)`;

export interface TestBrowser {
  browser: Browser;
  /** A fresh context (its own sessionStorage) and page, 1280×800 unless told otherwise. */
  newPage(opts?: { width?: number; height?: number }): Promise<{ page: Page; context: BrowserContext; requests: string[] }>;
  /** A full-page PNG under SCREENSHOT_DIR; returns its path. */
  screenshot(page: Page, name: string): Promise<string>;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<TestBrowser> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
  });
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  return {
    browser,
    async newPage({ width = 1280, height = 800 } = {}) {
      const context = await browser.newContext({ viewport: { width, height } });
      const page = await context.newPage();
      const requests: string[] = [];
      page.on('request', (r) => requests.push(r.url()));
      page.on('websocket', (ws) => requests.push(ws.url()));
      return { page, context, requests };
    },
    async screenshot(page, name) {
      const path = join(SCREENSHOT_DIR, `${name}.png`);
      // Transitions finished first: a progress bar caught mid-way showed 95% beside "100%".
      await page.screenshot({ path, fullPage: true, animations: 'disabled' });
      return path;
    },
    close: () => browser.close(),
  };
}
