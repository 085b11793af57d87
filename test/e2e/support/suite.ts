import type { Browser, Page } from 'playwright-core';
import { launchBrowser, newPage } from './browser';
import { startStack, type DemoProxySpec, type Stack } from './stack';

/** What a browser suite's tests use; read it inside tests and hooks (it is filled by beforeAll/beforeEach). */
export interface BrowserSuite {
  readonly stack: Stack;
  readonly browser: Browser;
  /** A fresh page (its own browser context) for each test. */
  readonly page: Page;
}

/**
 * The life cycle most browser suites share: one stack (demo proxies, the ui-extension, the built
 * web UI) and one chromium for the describe block, a page of its own for each test, everything
 * closed in reverse order. Suites with another rhythm (one page for every test, CSP tracking on
 * each page) keep their own hooks.
 */
export function browserSuite(proxies: DemoProxySpec[]): BrowserSuite {
  let stack: Stack | undefined;
  let browser: Browser | undefined;
  let page: Page | undefined;
  beforeAll(async () => {
    stack = await startStack({ proxies });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });
  beforeEach(async () => {
    page = await newPage(browser!, stack!.url);
  });
  afterEach(async () => {
    await page?.context().close();
  });
  const ready = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`browserSuite: no ${what} yet (read it inside a test or hook)`);
    return value;
  };
  return {
    get stack() { return ready(stack, 'stack'); },
    get browser() { return ready(browser, 'browser'); },
    get page() { return ready(page, 'page'); },
  };
}
