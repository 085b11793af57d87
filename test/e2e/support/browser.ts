/// <reference lib="dom" />
/**
 * Debian's chromium driven by playwright-core (it cannot download browsers here). A missing
 * chromium fails the suite with the command that installs it; it is never skipped.
 */
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ADMIN_PASSWORD } from './stack';

export const CHROMIUM = process.env.REX_CHROMIUM || '/usr/bin/chromium';
export const RESULTS = path.resolve(__dirname, '../../../test-results');

export async function launchBrowser(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`chromium is not installed at ${CHROMIUM}: apt-get update && apt-get install -y chromium (the browser tests need it; .ci/run installs it)`);
  }
  // playwright gives every launch a fresh temporary profile (the --user-data-dir of services.md).
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'],
  });
}

/** A page at 1280x800, the size the UI must work at. */
export async function newPage(browser: Browser, baseURL: string): Promise<Page> {
  const context = await browser.newContext({ baseURL, viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  return page;
}

export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(RESULTS, { recursive: true });
  const file = path.join(RESULTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: false });
  return file;
}

/** Logs in through the login page with the keyboard (as admin unless told otherwise). */
export async function logIn(page: Page, login = 'admin', password = ADMIN_PASSWORD): Promise<void> {
  await page.goto('/');
  await page.getByLabel('Username').fill(login);
  await page.getByLabel('Password').fill(password);
  await page.getByLabel('Password').press('Enter');
  await page.getByRole('heading', { name: 'Hosts', level: 1 }).waitFor();
}

/**
 * Collects the Content-Security-Policy violations the browser reports for a page (the
 * securitypolicyviolation event and console errors); the suites expect none.
 */
export async function trackCspViolations(page: Page): Promise<string[]> {
  const violations: string[] = [];
  await page.exposeFunction('reportCspViolation', (text: string) => violations.push(text));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      (window as unknown as { reportCspViolation(t: string): void }).reportCspViolation(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'} in ${e.sourceFile}:${e.lineNumber}`);
    });
  });
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content Security Policy/i.test(message.text())) violations.push(message.text());
  });
  return violations;
}
