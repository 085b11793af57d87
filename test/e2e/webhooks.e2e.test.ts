/// <reference lib="dom" />
/**
 * Administer > Webhooks (issue #19) in a real browser against the real stack: an administrator
 * creates a webhook pointing at a real HTTP receiver on loopback, a job ends, and the page's
 * delivery log shows the receiver's answer; the webhook is disabled and deleted from its row. A
 * Viewer has no Webhooks entry and gets the API's refusal as an alert. Axe finds nothing serious;
 * no CSP violation.
 */
import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { seriousFindings } from './support/axe';
import { launchBrowser, logIn, newPage, screenshot, trackCspViolations } from './support/browser';
import { ADMIN_PASSWORD, startStack, type Stack } from './support/stack';

jest.setTimeout(120_000);

const ADMIN = `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}`;
const SECRET = 'a-browser-test-secret-0123';

describe('web UI: webhooks', () => {
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  let violations: string[];
  let receiver: http.Server;
  const received: Array<{ signature: string | undefined; body: string }> = [];

  beforeAll(async () => {
    stack = await startStack({ proxies: [{ name: 'puppet-w.demo', nodes: 2, prefix: 'node-w' }] });
    browser = await launchBrowser();
    receiver = http.createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => { body += c; });
      req.on('end', () => {
        received.push({ signature: req.headers['x-rex-signature'] as string | undefined, body });
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    await new Promise((resolve) => receiver?.close(resolve));
  });

  beforeEach(async () => {
    page = await newPage(browser, stack.url);
    violations = await trackCspViolations(page);
  });

  afterEach(async () => {
    await page?.context().close();
    expect(violations).toEqual([]);
  });

  async function api<T>(method: 'GET' | 'POST', path: string, body?: unknown, auth = ADMIN): Promise<{ status: number; body: T }> {
    const res = await fetch(`${stack.url}/api/v2${path}`, { method, headers: { authorization: auth, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as T };
  }

  async function poll(what: string, check: () => Promise<boolean>, ms = 30_000): Promise<void> {
    const until = Date.now() + ms;
    while (!(await check())) {
      if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  it('creates a webhook, shows its signed delivery of a job that ended, then disables and deletes it', async () => {
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/rex`;
    await logIn(page);
    await page.getByRole('button', { name: 'Administer' }).click();
    await page.getByRole('link', { name: 'Webhooks' }).click();
    await page.getByRole('heading', { name: 'Webhooks', level: 1 }).waitFor();
    await page.getByText('No webhooks').waitFor();
    await page.getByRole('button', { name: 'Create webhook' }).click();
    const create = page.getByRole('dialog', { name: 'Create webhook' });
    await create.getByLabel('Name').fill('chatops');
    await create.getByLabel('URL').fill(url);
    await create.getByLabel(/^Secret/).fill(SECRET);
    await create.getByLabel('Job cancelled').uncheck();
    // The creation and schedule events are offered, off by default (a new webhook hears of job ends).
    expect(await create.getByLabel('Job created').isChecked()).toBe(false);
    expect(await create.getByLabel('Schedule occurrence fired').isChecked()).toBe(false);
    expect(await seriousFindings(page)).toEqual([]);
    await create.getByRole('button', { name: 'Create' }).click();
    await page.getByText('Webhook chatops created').waitFor();
    const row = page.getByRole('row', { name: /chatops/ });
    await row.getByText('enabled').waitFor();
    await row.getByText('Job failed').waitFor();
    expect(await row.getByText('Job cancelled').count()).toBe(0);
    const saved = await api<{ results: Array<{ id: number; name: string; url: string; events: string[]; enabled: boolean; secret_set: boolean }> }>('GET', '/webhooks');
    expect(saved.body.results).toEqual([expect.objectContaining({ name: 'chatops', url, events: ['job_succeeded', 'job_failed'], enabled: true, secret_set: true })]);

    // A job ends: the receiver gets a signed POST, and the page's delivery log says so.
    const hosts = await api<{ results: Array<{ id: number }> }>('GET', '/hosts?per_page=1');
    const job = await api<{ id: number }>('POST', '/remote_execution/jobs', { job: { namespace: 'rpcutil', action: 'ping', targeting: { host_ids: [hosts.body.results[0].id] }, timeout: 5 } });
    expect(job.status).toBe(201);
    await poll('a delivery at the receiver', async () => received.length > 0);
    expect(received[0].signature).toBe(`sha256=${createHmac('sha256', SECRET).update(received[0].body).digest('hex')}`);
    expect((JSON.parse(received[0].body) as { job: { id: number } }).job.id).toBe(job.body.id);
    await poll('the delivery recorded delivered', async () => {
      const log = await api<{ results: Array<{ state: string }> }>('GET', `/webhooks/${saved.body.results[0].id}/deliveries`);
      return log.body.results[0]?.state === 'delivered';
    });
    await row.getByRole('button', { name: 'Actions for chatops' }).click();
    await page.getByRole('menuitem', { name: 'Deliveries' }).click();
    const deliveries = page.getByRole('dialog', { name: 'Deliveries of chatops' });
    const delivery = deliveries.getByRole('row', { name: new RegExp(`${job.body.id}`) });
    await delivery.getByText('delivered').waitFor();
    await delivery.getByText('HTTP 200').waitFor();
    await screenshot(page, 'admin-webhook-deliveries');
    expect(await seriousFindings(page)).toEqual([]);
    await deliveries.getByRole('button', { name: 'Close' }).first().click();

    await row.getByRole('button', { name: 'Actions for chatops' }).click();
    await page.getByRole('menuitem', { name: 'Disable' }).click();
    await page.getByText('Webhook chatops disabled').waitFor();
    await row.getByText('disabled').waitFor();
    expect((await api<{ enabled: boolean }>('GET', `/webhooks/${saved.body.results[0].id}`)).body.enabled).toBe(false);

    await row.getByRole('button', { name: 'Actions for chatops' }).click();
    await page.getByRole('menuitem', { name: 'Delete' }).click();
    await page.getByRole('dialog', { name: 'Delete webhook chatops?' }).getByRole('button', { name: 'Delete' }).click();
    await page.getByText('Webhook chatops deleted').waitFor();
    await page.getByText('No webhooks').waitFor();
    expect((await api('GET', `/webhooks/${saved.body.results[0].id}`)).status).toBe(404);
  });

  it('refuses a URL that is not http(s) with the API\'s message, in the dialog', async () => {
    await logIn(page);
    await page.goto('/webhooks');
    await page.getByRole('button', { name: 'Create webhook' }).click();
    const create = page.getByRole('dialog', { name: 'Create webhook' });
    await create.getByLabel('Name').fill('bad');
    await create.getByLabel('URL').fill('ftp://example.com/x');
    await create.getByLabel(/^Secret/).fill(SECRET);
    await create.getByRole('button', { name: 'Create' }).click();
    await create.getByRole('alert').getByText(/must be an http:\/\/ or https:\/\/ URL/).waitFor();
    expect((await api<{ results: unknown[] }>('GET', '/webhooks')).body.results).toEqual([]);
  });

  it('shows a Viewer no Webhooks entry, and the API\'s refusal if it opens the page', async () => {
    const viewer = await api<{ id: number }>('GET', '/roles/Viewer');
    expect((await api('POST', '/users', { user: { login: 'wendy', password: 'wendy-password', role_ids: [viewer.body.id] } })).status).toBe(201);
    await logIn(page, 'wendy', 'wendy-password');
    await page.getByRole('button', { name: 'Administer' }).click();
    await page.getByRole('link', { name: 'Audits' }).waitFor();
    expect(await page.getByRole('link', { name: 'Webhooks' }).count()).toBe(0);
    await page.goto('/webhooks');
    await page.getByText('Cannot list webhooks').waitFor();
  });
});
