/**
 * Scheduling from the web UI (issue 6's API): schedule an action for later from a host's Remote
 * management, see the run in Schedules, disable it and delete it. Real browser, real stack.
 */
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, logIn, newPage, screenshot } from './support/browser';
import { startStack, type Stack } from './support/stack';

jest.setTimeout(120_000);

describe('web UI: schedules', () => {
  let stack: Stack;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    stack = await startStack({ proxies: [{ name: 'puppet-a.demo', nodes: 10, prefix: 'node-a' }] });
    browser = await launchBrowser();
    page = await newPage(browser, stack.url);
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('schedules an action at a date and time and shows it in Schedules, where it can be disabled and deleted', async () => {
    await logIn(page);
    await page.getByRole('link', { name: /^node-a/ }).first().click();
    await page.getByRole('button', { name: 'Remote management' }).click();
    const dialog = page.getByRole('dialog', { name: 'Run remote action' });
    await dialog.getByLabel('Namespace').selectOption('package');
    await dialog.getByLabel('Action', { exact: true }).selectOption('status');
    await dialog.getByLabel('Package Name').fill('openssl');
    await dialog.getByLabel('Schedule at a date and time').check();
    const at = new Date(Date.now() + 2 * 3600_000);
    const pad = (n: number) => String(n).padStart(2, '0');
    await dialog.getByLabel('Start at').fill(`${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}T${pad(at.getHours())}:${pad(at.getMinutes())}`);
    await dialog.getByLabel('Description').fill('nightly openssl check');
    await dialog.getByRole('button', { name: 'Schedule' }).click();

    await page.getByRole('heading', { name: 'Schedules', level: 1 }).waitFor();
    const row = page.getByRole('row', { name: /nightly openssl check/ });
    await row.waitFor();
    await row.getByText('package=openssl').waitFor();
    await screenshot(page, 'schedules');

    // By keyboard: focus the switch and press Space.
    await row.getByRole('switch').press('Space');
    await page.getByText(/Schedule \d+ disabled/).waitFor();
    expect(await row.getByRole('switch').isChecked()).toBe(false);

    await row.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
    await page.getByText(/Schedule \d+ deleted/).waitFor();
    await page.getByRole('row', { name: /nightly openssl check/ }).waitFor({ state: 'detached' });
  });
});
