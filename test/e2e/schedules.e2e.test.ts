/// <reference lib="dom" />
/**
 * Schedules in the web UI as Foreman lists recurring logics: schedule an action from a host's
 * Remote management, see the schedules themselves (cron line, time zone, next and last run,
 * iterations, state, targets by hostgroup title), open one onto its occurrences, disable and enable
 * it by keyboard, cancel it; the upcoming runs in a date range on the second tab. Real browser,
 * real stack; no CSP violation and no serious axe finding on either tab.
 */
import type { Browser, Page } from 'playwright-core';
import type { Job } from '@common/jobs';
import { seriousFindings } from './support/axe';
import { launchBrowser, logIn, newPage, screenshot, trackCspViolations } from './support/browser';
import { ADMIN_PASSWORD, startStack, type Stack } from './support/stack';

jest.setTimeout(120_000);

const BASIC = `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}`;

describe('web UI: schedules', () => {
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  let violations: string[];

  beforeAll(async () => {
    stack = await startStack({ proxies: [{ name: 'puppet-a.demo', nodes: 10, prefix: 'node-a' }] });
    browser = await launchBrowser();
    page = await newPage(browser, stack.url);
    violations = await trackCspViolations(page);
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  afterEach(() => {
    expect(violations).toEqual([]);
  });

  async function api<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${stack.url}/api/v2${path}`, { method, headers: { authorization: BASIC, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  }

  const row = (text: RegExp) => page.getByRole('row', { name: text });

  it('schedules an action at a date and time from a host and lists the schedule with its next run', async () => {
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
    const once = row(/nightly openssl check/);
    await once.waitFor();
    await once.getByText('package.status package=openssl').waitFor();
    expect(await once.locator('td[data-label="Recurrence"]').textContent()).toMatch(/^once, /);
    expect(await once.locator('td[data-label="Last run"]').textContent()).toBe('never');
    expect(await once.locator('td[data-label="State"]').textContent()).toContain('active');
  });

  it('shows a recurring schedule with its cron line, time zone, iterations, hostgroup title and occurrences', async () => {
    const base = (await api<{ results: Array<{ id: number; title: string }> }>('GET', `/hostgroups?search=${encodeURIComponent('title = base/web')}`)).results[0];
    const job = await api<Job>('POST', '/remote_execution/jobs', { job: { namespace: 'rpcutil', action: 'ping', targeting: { hostgroup_id: base.id }, description: 'weekly web ping', recurrence: { cron_line: '0 2 * * 6', time_zone: 'Europe/Berlin', max_iterations: 4 } } });
    await page.goto('/schedules');
    const weekly = row(/weekly web ping/);
    await weekly.waitFor();
    expect(await weekly.locator('td[data-label="Recurrence"]').textContent()).toBe('0 2 * * 6 (Europe/Berlin)');
    expect(await weekly.locator('td[data-label="Iterations"]').textContent()).toBe('0 of 4');
    // The target names the hostgroup by its title, never "hostgroup #id".
    await weekly.locator('td[data-label="Target"]').getByRole('link', { name: 'base/web' }).waitFor();
    expect(await weekly.locator('td[data-label="Target"]').textContent()).toBe('hostgroup base/web');
    // Soonest next run first, as the API orders them.
    const soonest = [
      { name: 'nightly openssl check', at: Date.parse(await page.evaluate(() => new Date().toISOString())) + 2 * 3600_000 },
      { name: 'weekly web ping', at: Date.parse((await api<{ next_run_at: string }>('GET', `/remote_execution/schedules/${job.schedule_id}`)).next_run_at) },
    ].sort((a, b) => a.at - b.at).map((x) => x.name);
    const order = await page.locator('td[data-label="Schedule"] > div:first-child').allTextContents();
    expect(order.filter((name) => soonest.includes(name))).toEqual(soonest);

    await weekly.getByRole('button', { name: 'Details' }).click();
    const occurrences = page.getByTestId(`schedule-${job.schedule_id}-occurrences`);
    await occurrences.getByText('It has not run yet.').waitFor();
    // Four iterations in all: four next occurrences, each a Saturday.
    expect(await occurrences.getByRole('listitem').count()).toBe(4);
    await screenshot(page, 'schedules-definitions');
    expect(await seriousFindings(page)).toEqual([]);
  });

  it('disables and enables a schedule by keyboard, and cancels it', async () => {
    await page.goto('/schedules');
    const once = row(/nightly openssl check/);
    await once.waitFor();
    await once.getByRole('switch').press('Space');
    await page.getByText(/Schedule \d+ disabled/).waitFor();
    await once.locator('td[data-label="State"]').getByText('disabled').waitFor();
    expect(await once.getByRole('switch').isChecked()).toBe(false);
    await once.getByRole('switch').press('Space');
    await page.getByText(/Schedule \d+ enabled/).waitFor();
    await once.locator('td[data-label="State"]').getByText('active').waitFor();

    await once.getByRole('button', { name: /^Actions for schedule/ }).click();
    await page.getByRole('menuitem', { name: 'Cancel schedule' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel schedule' }).click();
    await page.getByText(/Schedule \d+ cancelled/).waitFor();
    await row(/nightly openssl check/).waitFor({ state: 'detached' });
  });

  it('lists the upcoming runs of every schedule in a date range on its own tab', async () => {
    await page.goto('/schedules');
    await page.getByRole('tab', { name: 'Upcoming runs' }).click();
    await page.waitForURL(/view=upcoming/);
    // PatternFly's Table is a grid.
    const runs = page.getByRole('grid', { name: 'Upcoming runs' });
    await runs.waitFor();
    // The weekly schedule's runs in the next seven days: one Saturday.
    await runs.getByRole('row', { name: /weekly web ping/ }).first().waitFor();
    expect(await runs.getByRole('row', { name: /weekly web ping/ }).first().locator('td[data-label="Target"]').textContent()).toBe('hostgroup base/web');
    await screenshot(page, 'schedules-upcoming');
    expect(await seriousFindings(page)).toEqual([]);
  });
});
