/// <reference lib="dom" />
/**
 * The job page in a real browser (Debian's chromium) against the real stack (a demo proxy over gRPC
 * with 12 nodes, the ui-extension on SQLite, the built web UI): the host table previews what each
 * reply says (never a bare "Output:"), the status shows one progress bar, and failed hosts are
 * rerun from a button, as replay with `hosts: failed`. Every test fails on a Content-Security-Policy
 * violation the browser reports. Screenshots go to test-results/.
 */
import type { Browser, Page } from 'playwright-core';
import type { Job, JobHost, JobStatus } from '@common/jobs';
import { launchBrowser, logIn, newPage, screenshot } from './support/browser';
import { ADMIN_PASSWORD, startStack, type Stack } from './support/stack';

jest.setTimeout(120_000);

const BASIC = `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}`;

describe('web UI: the job page', () => {
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  let violations: string[];

  beforeAll(async () => {
    stack = await startStack({ proxies: [{ name: 'puppet-j.demo', nodes: 12, prefix: 'node-j' }] });
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

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
    await page?.context().close();
    expect(violations).toEqual([]);
  });

  async function api<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${stack.url}/api/v2${path}`, { method, headers: { authorization: BASIC, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  }

  async function runToEnd(namespace: string, action: string, args: Record<string, unknown>): Promise<JobStatus> {
    const job = await api<Job>('POST', '/remote_execution/jobs', { job: { namespace, action, arguments: args, targeting: { search: 'smart_proxy = "puppet-j.demo"' }, timeout: 20 } });
    // Long polls: each answers when the job's version passes the last one seen (or after 5 s).
    for (let since = 0, until = Date.now() + 60_000; ;) {
      const status = await api<JobStatus>('GET', `/remote_execution/jobs/${job.id}?since=${since}&wait=5`);
      if (['succeeded', 'failed', 'cancelled'].includes(status.state)) return status;
      if (Date.now() > until) throw new Error(`job ${job.id} still ${status.state}`);
      since = status.version;
    }
  }

  const outputCells = () => page.locator('[data-testid="job-hosts"] td[data-label="Output"]');

  it('previews what each reply says in the Output column and shows one progress bar', async () => {
    // package#status replies with `output: ""` first: the old preview showed just "Output:".
    const job = await runToEnd('package', 'status', { package: 'nginx' });
    expect(job.counts.succeeded).toBe(12);
    await logIn(page);
    await page.goto(`/jobs/${job.id}`);
    await page.getByTestId('job-progress-text').filter({ hasText: '100% of 12 hosts done' }).waitFor();
    await outputCells().first().waitFor();
    await screenshot(page, 'job-page-output-preview');

    const cells = await outputCells().allTextContents();
    expect(cells).toHaveLength(12);
    for (const text of cells) {
      expect(text).not.toMatch(/(^|·)\s*Output:\s*($|·)/);
      expect(text).toMatch(/Ensure: /);
    }
    const status = page.locator('.pf-v6-c-card').filter({ has: page.getByText('Status', { exact: true }) });
    // Anything drawn as a bar: PatternFly's progress, a progressbar role, the state bar.
    expect(await status.locator('[role="progressbar"], .pf-v6-c-progress, .rex-bar').count()).toBe(1);
    expect(await status.getByRole('progressbar', { name: 'Job progress' }).getAttribute('aria-valuenow')).toBe('100');
    // Nothing failed: nothing to rerun.
    expect(await page.getByRole('button', { name: /^Rerun failed/ }).count()).toBe(0);
  });

  it('reruns exactly the failed hosts from the Rerun failed button and opens the new job', async () => {
    // Only the web nodes have nginx installed: the others fail "Package nginx is not installed".
    const job = await runToEnd('package', 'update', { package: 'nginx' });
    const hosts = (await api<{ results: JobHost[] }>('GET', `/remote_execution/jobs/${job.id}/hosts?per_page=100`)).results;
    const failed = hosts.filter((h) => h.state === 'failed').map((h) => h.host_name).sort();
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.length).toBeLessThan(12);
    expect(job.counts.failed + job.counts.no_response).toBe(failed.length);

    await logIn(page);
    await page.goto(`/jobs/${job.id}`);
    const rerun = page.getByRole('button', { name: `Rerun failed (${failed.length})` });
    await rerun.waitFor();
    await screenshot(page, 'job-page-rerun-failed');
    await rerun.click();
    await page.waitForURL((url) => /^\/jobs\/\d+$/.test(url.pathname) && url.pathname !== `/jobs/${job.id}`);
    const replayId = Number(new URL(page.url()).pathname.split('/').pop());
    await page.getByText(`job ${job.id}`).first().waitFor();
    await screenshot(page, 'job-page-rerun-started');

    const replay = await api<JobStatus>('GET', `/remote_execution/jobs/${replayId}`);
    expect(replay).toMatchObject({ parent_id: job.id, total_hosts: failed.length, namespace: 'package', action: 'update' });
    const rerunHosts = (await api<{ results: JobHost[] }>('GET', `/remote_execution/jobs/${replayId}/hosts?per_page=100`)).results.map((h) => h.host_name).sort();
    expect(rerunHosts).toEqual(failed);
  });
});
