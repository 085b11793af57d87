/**
 * The login page in a real browser (Debian's chromium) against the real stack: wrong passwords and
 * the login rate limit (auth.login's 429) show the API's own message; logging out ends the session.
 * Each test saves a screenshot under test-results/.
 */
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, logIn, newPage, screenshot } from './support/browser';
import { startStack, type Stack } from './support/stack';

jest.setTimeout(120_000);

describe('web UI: login', () => {
  let stack: Stack;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    stack = await startStack({ proxies: [{ name: 'puppet-a.demo', nodes: 2, prefix: 'node-a' }] });
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

  async function submit(login: string, password: string): Promise<void> {
    await page.goto('/');
    await page.getByLabel('Username').fill(login);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Log in' }).click();
  }

  it('shows the API\'s message when the password is wrong', async () => {
    await submit('admin', 'not-the-password');
    await page.getByText('login or password is wrong').waitFor();
    await screenshot(page, 'login-wrong-password');
  });

  it('shows the rate limit\'s message once a login failed too often', async () => {
    // The default limit is 10 failures per login name a minute; the 11th attempt answers 429.
    for (let i = 0; i < 10; i++) {
      const res = await fetch(`${stack.url}/api/v2/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ login: 'guesser', password: `guess-${i}` }) });
      expect(res.status).toBe(401);
    }
    await submit('guesser', 'one-more-guess');
    await page.getByText(/too many failed logins for this user; try again in \d+ s/).waitFor();
    await screenshot(page, 'login-rate-limited');
  });

  it('logs out from the user menu and is back on the login page, the session gone', async () => {
    await logIn(page);
    await page.getByRole('button', { name: 'User menu' }).click();
    await page.getByRole('menuitem', { name: 'Log out' }).click();
    await page.getByRole('button', { name: 'Log in' }).waitFor();
    const session = await page.evaluate(async () => (await fetch('/api/v2/session')).status);
    expect(session).toBe(401);
    await screenshot(page, 'logged-out');
  });
});
