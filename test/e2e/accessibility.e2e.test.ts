/// <reference lib="dom" />
/**
 * axe-core on every page of the web UI (each route of CLIENT_ROUTES, with real objects behind its
 * ids), the login page, an unknown path and a missing object, and on the states operators open on
 * them (search suggestions, the run dialog, an expanded host row, a filtered job, the admin
 * dialogs): no critical and no serious finding anywhere, under the strict Content-Security-Policy
 * (axe runs through the DevTools protocol, support/axe.ts). A route added to CLIENT_ROUTES fails to
 * compile here until it has a sample path, so no page escapes the check.
 */
import type { Browser, Page } from 'playwright-core';
import { CLIENT_ROUTES, type ClientRoute } from '@common/client-routes';
import type { Job, JobStatus } from '@common/jobs';
import { seriousFindings, type AxeFinding } from './support/axe';
import { launchBrowser, logIn, newPage, screenshot, trackCspViolations } from './support/browser';
import { ADMIN_PASSWORD, startStack, type Stack } from './support/stack';

jest.setTimeout(180_000);

const BASIC = `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}`;

interface Ids {
  host: number;
  hostgroup: number;
  proxy: number;
  job: number;
  user: number;
  role: number;
}

/** A real path for each route; a new route must add one (the Record is typed by CLIENT_ROUTES). */
const SAMPLES: Record<ClientRoute, (ids: Ids) => string> = {
  '/': () => '/',
  '/hosts': () => '/hosts',
  '/hosts/:id': (i) => `/hosts/${i.host}`,
  '/hostgroups': () => '/hostgroups',
  '/hostgroups/:id': (i) => `/hostgroups/${i.hostgroup}`,
  '/fact_names/:name': () => '/fact_names/os.family',
  '/smart_proxies': () => '/smart_proxies',
  '/smart_proxies/:id/remote_execution': (i) => `/smart_proxies/${i.proxy}/remote_execution`,
  '/jobs': () => '/jobs',
  '/jobs/:id': (i) => `/jobs/${i.job}`,
  '/schedules': () => '/schedules',
  '/job_templates': () => '/job_templates',
  '/users': () => '/users',
  '/users/:id': (i) => `/users/${i.user}`,
  '/roles': () => '/roles',
  '/roles/:id': (i) => `/roles/${i.role}`,
  '/audits': () => '/audits',
  '/webhooks': () => '/webhooks',
  '/account': () => '/account',
};

describe('web UI: accessibility (axe-core)', () => {
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  let violations: string[];
  let ids: Ids;

  async function api<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${stack.url}/api/v2${path}`, { method, headers: { authorization: BASIC, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  }

  beforeAll(async () => {
    stack = await startStack({ proxies: [{ name: 'puppet-x.demo', nodes: 6, prefix: 'node-x' }] });
    const hostgroup = (await api<{ results: Array<{ id: number }> }>('GET', `/hostgroups?search=${encodeURIComponent('title = base/web')}`)).results[0].id;
    const host = (await api<{ results: Array<{ id: number }> }>('GET', '/hosts?per_page=1')).results[0].id;
    // A job with failed and succeeded hosts and an aggregate, finished before the pages are read.
    const job = await api<Job>('POST', '/remote_execution/jobs', { job: { namespace: 'service', action: 'status', arguments: { service: 'nginx' }, targeting: { search: 'name ~ node-x' }, timeout: 20 } });
    for (let since = 0, until = Date.now() + 60_000; ;) {
      const status = await api<JobStatus>('GET', `/remote_execution/jobs/${job.id}?since=${since}&wait=5`);
      if (['succeeded', 'failed', 'cancelled'].includes(status.state)) break;
      if (Date.now() > until) throw new Error(`job ${job.id} still ${status.state}`);
      since = status.version;
    }
    await api('POST', '/remote_execution/jobs', { job: { namespace: 'rpcutil', action: 'ping', targeting: { hostgroup_id: hostgroup }, description: 'nightly ping', recurrence: { cron_line: '0 3 * * *', time_zone: 'UTC' } } });
    const role = (await api<{ results: Array<{ id: number }> }>('GET', `/roles?search=${encodeURIComponent('name = Operator')}`)).results[0].id;
    const user = (await api<{ id: number }>('POST', '/users', { user: { login: 'ops', password: 'ops-password', firstname: 'Olga', role_ids: [role] } })).id;
    await api('POST', `/users/${user}/personal_access_tokens`, { personal_access_token: { name: 'ci' } });
    ids = { host, hostgroup, proxy: stack.proxies[0].id, job: job.id, user, role };
    browser = await launchBrowser();
    page = await newPage(browser, stack.url);
    violations = await trackCspViolations(page);
    await logIn(page);
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  afterEach(() => {
    expect(violations).toEqual([]);
  });

  /** Opens a path and waits for its page: its heading, and its requests done. */
  async function open(path: string): Promise<void> {
    await page.goto(path);
    await page.locator('h1').first().waitFor();
    await page.waitForLoadState('networkidle');
    await page.locator('.pf-v6-c-spinner').waitFor({ state: 'detached' });
  }

  const report = (findings: AxeFinding[]) => findings.map((f) => `${f.impact} ${f.id}: ${f.help} at ${f.targets.join(' ')}`);

  it.each([...CLIENT_ROUTES])('has no critical or serious finding on %s', async (route) => {
    await open(SAMPLES[route](ids));
    expect(report(await seriousFindings(page))).toEqual([]);
  });

  it('has none on an unknown path and on a missing object, both PatternFly empty states', async () => {
    // Loaded from the server, an unknown path is a JSON 404, never the web app (issue #25); the UI
    // shows its own empty state for one it is taken to inside the app (a stale link, history).
    const direct = await page.request.get('/no/such/page');
    expect([direct.status(), direct.headers()['content-type']]).toEqual([404, expect.stringMatching(/^application\/json/)]);
    await open('/hosts');
    await page.evaluate(() => {
      window.history.pushState(null, '', '/no/such/page');
      window.dispatchEvent(new PopStateEvent('popstate'));
    });
    await page.getByTestId('page-not-found').waitFor();
    expect(report(await seriousFindings(page))).toEqual([]);
    await page.goto('/jobs/999999');
    await page.getByTestId('object-not-found').getByText('Job 999999 not found').waitFor();
    expect(report(await seriousFindings(page))).toEqual([]);
    await screenshot(page, 'job-not-found');
  });

  it('has none with search suggestions open, taken by keyboard from the SearchInput', async () => {
    await open('/hosts');
    const search = page.getByRole('textbox', { name: 'Search hosts' });
    await search.click();
    await search.pressSequentially('hostgroup_title = base/w');
    await page.getByRole('menuitem', { name: /base\/web/ }).waitFor();
    expect(report(await seriousFindings(page))).toEqual([]);
    await screenshot(page, 'search-suggestions');
    // Down moves into the suggestions, Enter takes one and returns to the field, Enter searches.
    await search.press('ArrowDown');
    await page.keyboard.press('Enter');
    expect(await search.inputValue()).toMatch(/^hostgroup_title = base\/web\s*$/);
    await search.press('Enter');
    await page.waitForURL(/search=hostgroup_title/);
  });

  it('has none in the run dialog, on a filtered job with a row open, and in the admin dialogs', async () => {
    await open(`/hosts/${ids.host}`);
    await page.getByRole('button', { name: 'Remote management' }).click();
    await page.getByRole('dialog', { name: 'Run remote action' }).waitFor();
    expect(report(await seriousFindings(page))).toEqual([]);
    await page.keyboard.press('Escape');

    await open(`/jobs/${ids.job}?state=failed`);
    await page.getByRole('button', { name: 'Details' }).first().click();
    expect(report(await seriousFindings(page))).toEqual([]);

    await open('/users');
    await page.getByRole('button', { name: 'Create user' }).click();
    await page.getByRole('dialog', { name: 'Create user' }).waitFor();
    expect(report(await seriousFindings(page))).toEqual([]);
    await page.keyboard.press('Escape');

    await open(`/roles/${ids.role}`);
    await page.getByRole('button', { name: 'Clone' }).click();
    await page.getByRole('dialog', { name: /^Clone role/ }).waitFor();
    expect(report(await seriousFindings(page))).toEqual([]);
  });

  it('has none on the login page', async () => {
    const fresh = await newPage(browser, stack.url);
    try {
      await fresh.goto('/');
      await fresh.getByLabel('Username').waitFor();
      expect(report(await seriousFindings(fresh))).toEqual([]);
    } finally {
      await fresh.context().close();
    }
  });
});
