/**
 * The login page in a real browser (Debian's chromium) against the real stack: wrong passwords and
 * the login rate limit (auth.login's 429) show the API's own message; logging out ends the session.
 * The server's Content-Security-Policy holds for the page: every test fails on a violation the
 * browser reports (the securitypolicyviolation event or a console error). Each test saves a
 * screenshot under test-results/.
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

  /** CSP violations the browser reported for the current page. */
  let violations: string[];

  beforeEach(async () => {
    page = await newPage(browser, stack.url);
    violations = [];
    await page.exposeFunction('reportCspViolation', (text: string) => violations.push(text));
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) => {
        (window as unknown as { reportCspViolation(t: string): void }).reportCspViolation(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'} in ${e.sourceFile}:${e.lineNumber}`);
      });
    });
    page.on('console', (message) => {
      if (message.type() === 'error' && /Content Security Policy/i.test(message.text())) violations.push(message.text());
    });
  });

  afterEach(async () => {
    const csp = (await page.evaluate(async () => (await fetch('/')).headers.get('content-security-policy')).catch(() => null));
    await page?.context().close();
    expect(csp).toContain("frame-ancestors 'none'");
    expect(violations).toEqual([]);
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
    // The default limit is 10 failures per login name from one address a minute; the 11th attempt
    // from that address (the browser's and this test's: both loopback) answers 429.
    for (let i = 0; i < 10; i++) {
      const res = await fetch(`${stack.url}/api/v2/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ login: 'guesser', password: `guess-${i}` }) });
      expect(res.status).toBe(401);
    }
    await submit('guesser', 'one-more-guess');
    await page.getByText(/too many failed logins for this login from your address; try again in \d+ s/).waitFor();
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
