/**
 * The web UI's main flows in a real browser (Debian's chromium) against the real stack: two demo
 * proxies over gRPC with 30 nodes each, the ui-extension on SQLite, the built web UI. Each test
 * saves a screenshot under test-results/.
 */
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, logIn, newPage, screenshot } from './support/browser';
import { startStack, type Stack } from './support/stack';

jest.setTimeout(120_000);

describe('web UI: remote management', () => {
  let stack: Stack;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    stack = await startStack({ proxies: [{ name: 'puppet-a.demo', nodes: 30, prefix: 'node-a' }, { name: 'puppet-b.demo', nodes: 30, prefix: 'node-b' }] });
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  beforeEach(async () => {
    page = await newPage(browser, stack.url);
  });

  afterEach(async () => {
    await page?.context().close();
  });

  it('logs in and shows the hosts of both proxies', async () => {
    await logIn(page);
    await page.getByRole('grid', { name: 'Hosts' }).or(page.getByRole('table', { name: 'Hosts' })).waitFor();
    await page.getByText('node-a').first().waitFor();
    await screenshot(page, 'login-hosts');
  });

  it('runs rpcutil.ping from a host page through Remote management and watches it finish', async () => {
    await logIn(page);
    await page.getByRole('link', { name: /^node-a/ }).first().click();
    await page.getByRole('button', { name: 'Remote management' }).click();
    await page.getByLabel('Namespace').selectOption('rpcutil');
    await page.getByLabel('Action', { exact: true }).selectOption('ping');
    await screenshot(page, 'remote-management-form');
    await page.getByRole('button', { name: 'Run now' }).click();
    await page.getByTestId('job-progress-text').filter({ hasText: '100%' }).waitFor();
    await page.locator('[data-testid="job-hosts"] [data-state="succeeded"]').first().waitFor();
    await screenshot(page, 'remote-management-job');
  });
});
