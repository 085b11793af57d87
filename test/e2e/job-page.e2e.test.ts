/// <reference lib="dom" />
/**
 * The job page in a real browser (Debian's chromium) against the real stack (a demo proxy over gRPC
 * with 12 nodes, the ui-extension on SQLite, the built web UI), as Foreman operators read it: a donut
 * of host states whose slices and legend filter the host table, the filter in the URL (a link to a
 * job's failed hosts works), each failed host's reason in its row, elapsed time and "times out at"
 * while a job runs, aggregates titled as mco prints them, and Rerun failed. Every test fails on a
 * Content-Security-Policy violation the browser reports (the charts draw SVG with style attributes
 * set through the CSSOM, which the strict policy allows). Screenshots go to test-results/.
 */
import type { Browser, Page } from 'playwright-core';
import type { Job, JobHost, JobStatus } from '@common/jobs';
import { seriousFindings } from './support/axe';
import { launchBrowser, logIn, newPage, screenshot, trackCspViolations } from './support/browser';
import { ADMIN_PASSWORD, startStack, type Stack } from './support/stack';

jest.setTimeout(120_000);

const BASIC = `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}`;
const PROXY = 'puppet-j.demo';
/** A host of the inventory that no node of the demo fleet answers for: its job runs until the timeout. */
const GHOST = 'ghost-j.demo';

describe('web UI: the job page', () => {
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  let violations: string[];

  beforeAll(async () => {
    stack = await startStack({ proxies: [{ name: PROXY, nodes: 12, prefix: 'node-j' }] });
    const admin = { id: 1, login: 'admin', admin: true, rules: [] };
    await stack.server.services.inventory.importInventory(admin, { hostgroups: ['base', 'base/web'], smart_proxies: [], hosts: [{ name: GHOST, hostgroup: 'base/web', smart_proxy: PROXY }] });
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  beforeEach(async () => {
    page = await newPage(browser, stack.url);
    violations = await trackCspViolations(page);
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

  async function waitFinal(id: number): Promise<JobStatus> {
    // Long polls: each answers when the job's version passes the last one seen (or after 5 s).
    for (let since = 0, until = Date.now() + 60_000; ;) {
      const status = await api<JobStatus>('GET', `/remote_execution/jobs/${id}?since=${since}&wait=5`);
      if (['succeeded', 'failed', 'cancelled'].includes(status.state)) return status;
      if (Date.now() > until) throw new Error(`job ${id} still ${status.state}`);
      since = status.version;
    }
  }

  async function runToEnd(namespace: string, action: string, args: Record<string, unknown>): Promise<JobStatus> {
    const job = await api<Job>('POST', '/remote_execution/jobs', { job: { namespace, action, arguments: args, targeting: { search: `smart_proxy = "${PROXY}" and name ~ node-j` }, timeout: 20 } });
    return waitFinal(job.id);
  }

  /**
   * Clicks the donut's slice of `state` where the slice really is: a point of its arc that the
   * browser hit-tests to it (the middle of an arc's box may be the donut's hole).
   */
  async function clickSlice(state: string): Promise<void> {
    const slice = page.getByTestId('host-state-donut').locator(`path[style*="--rex-state-${state}"]`);
    await slice.waitFor();
    const point = await slice.evaluate((path) => {
      const box = path.getBoundingClientRect();
      for (let y = box.top + 1; y < box.bottom; y += 2) {
        for (let x = box.left + 1; x < box.right; x += 2) if (document.elementFromPoint(x, y) === path) return { x, y };
      }
      return null;
    });
    if (!point) throw new Error(`the ${state} slice is nowhere to click`);
    await page.mouse.click(point.x, point.y);
  }

  const hostRows = () => page.locator('[data-testid="job-hosts"] tbody tr:not(.pf-v6-c-table__expandable-row)');
  const outputCells = () => page.locator('[data-testid="job-hosts"] td[data-label="Output"]');
  const stateCells = () => page.locator('[data-testid="job-hosts"] td[data-label="State"]');
  /** The host states the table shows now, once it shows `count` rows. */
  async function tableStates(count: number): Promise<string[]> {
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid="job-hosts"] td[data-label="State"]').length === n, count);
    return stateCells().evaluateAll((cells) => cells.map((c) => c.querySelector('[data-state]')?.getAttribute('data-state') ?? ''));
  }

  it('previews what each reply says in the Output column and shows the donut instead of bars', async () => {
    // package#status replies with `output: ""` first: the old preview showed just "Output:".
    const job = await runToEnd('package', 'status', { package: 'nginx' });
    expect(job.counts.succeeded).toBe(12);
    await logIn(page);
    await page.goto(`/jobs/${job.id}`);
    await page.getByTestId('job-progress-text').filter({ hasText: '100% of 12 hosts done' }).waitFor();
    await outputCells().first().waitFor();

    const cells = await outputCells().allTextContents();
    expect(cells).toHaveLength(12);
    for (const text of cells) {
      expect(text).not.toMatch(/(^|·)\s*Output:\s*($|·)/);
      expect(text).toMatch(/Ensure: /);
    }
    const status = page.locator('.pf-v6-c-card').filter({ has: page.getByRole('heading', { name: 'Status' }) });
    // The donut replaced both bars: nothing drawn as a bar is left in the status card.
    expect(await status.locator('[role="progressbar"], .pf-v6-c-progress, .rex-bar').count()).toBe(0);
    await status.getByTestId('host-state-donut').locator('svg').first().waitFor();
    expect(await status.getByTestId('host-state-donut').locator('svg').first().textContent()).toContain('100%');
    expect(await status.getByRole('button', { name: 'succeeded 12' }).count()).toBe(1);
    // Aggregates as mco prints them: "Summary of <display_as>", each value right-aligned with its count.
    const aggregates = page.getByTestId('job-aggregates');
    await aggregates.getByRole('heading', { name: 'Summary of Ensure' }).waitFor();
    expect(await aggregates.locator('pre').first().textContent()).toMatch(/^\s*1\.22\.1-9 = \d+/m);
    await screenshot(page, 'job-page-output-preview');
    // Nothing failed: nothing to rerun.
    expect(await page.getByRole('button', { name: /^Rerun failed/ }).count()).toBe(0);
  });

  it('filters the host table by a donut slice and its legend, and keeps the filter in the URL', async () => {
    // Only the web nodes run nginx; the others answer "Could not find service nginx".
    const job = await runToEnd('service', 'status', { service: 'nginx' });
    expect(job.counts.failed).toBeGreaterThan(0);
    expect(job.counts.succeeded).toBeGreaterThan(0);
    await logIn(page);
    await page.goto(`/jobs/${job.id}`);
    expect(await tableStates(12)).toHaveLength(12);

    // A click on the failed slice of the donut (its path is filled with the failed colour).
    await clickSlice('failed');
    await page.waitForURL((url) => url.searchParams.get('state') === 'failed');
    expect(new Set(await tableStates(job.counts.failed))).toEqual(new Set(['failed']));
    expect(await page.getByRole('button', { name: `failed ${job.counts.failed}` }).getAttribute('aria-pressed')).toBe('true');
    await screenshot(page, 'job-page-donut-filter');

    // The legend adds a state to the filter, by keyboard.
    await page.getByRole('button', { name: `succeeded ${job.counts.succeeded}` }).press('Enter');
    await page.waitForURL((url) => url.searchParams.get('state') === 'succeeded,failed');
    expect(new Set(await tableStates(12))).toEqual(new Set(['succeeded', 'failed']));
    // Clicking the slice again takes its state off.
    await clickSlice('failed');
    await page.waitForURL((url) => url.searchParams.get('state') === 'succeeded');
    expect(new Set(await tableStates(job.counts.succeeded))).toEqual(new Set(['succeeded']));
    expect(await seriousFindings(page)).toEqual([]);
  });

  it('opens a link to a job\'s failed hosts with the table filtered to them', async () => {
    const job = await runToEnd('service', 'status', { service: 'nginx' });
    await logIn(page);
    await page.goto(`/jobs/${job.id}?state=failed`);
    expect(new Set(await tableStates(job.counts.failed))).toEqual(new Set(['failed']));
    await page.getByTestId('job-state-filter').getByText('failed').waitFor();
    expect(await page.getByRole('button', { name: `failed ${job.counts.failed}` }).getAttribute('aria-pressed')).toBe('true');
    // Clearing the filter shows every host and drops it from the URL.
    await page.getByRole('button', { name: 'Clear the state filter' }).click();
    await page.waitForURL((url) => !url.searchParams.has('state'));
    expect(await tableStates(12)).toHaveLength(12);
  });

  it('shows each failed host\'s reason in its row without expanding it', async () => {
    const job = await runToEnd('service', 'status', { service: 'nginx' });
    await logIn(page);
    await page.goto(`/jobs/${job.id}?state=failed`);
    await tableStates(job.counts.failed);
    const rows = hostRows();
    expect(await rows.count()).toBe(job.counts.failed);
    for (const row of await rows.all()) {
      expect(await row.locator('td[data-label="Reason"]').textContent()).toBe('Could not find service nginx');
      // The outputs keep their own column; they no longer stand in for the reason.
      expect(await row.locator('td[data-label="Output"]').textContent()).toBe('Service Status: unknown');
    }
    // Nothing was expanded to see it.
    expect(await page.locator('[data-testid="job-hosts"] tbody.pf-m-expanded').count()).toBe(0);
    // The aggregate is titled with the DDL's display_as, as mco prints it.
    await page.getByRole('heading', { name: 'Summary of Service Status' }).waitFor();
    // Aggregates count the replies that succeeded, as MCollective's aggregate plugins do.
    expect(await page.getByTestId('job-aggregates').locator('pre').textContent()).toBe(`running = ${job.counts.succeeded}`);
    await screenshot(page, 'job-page-failed-reasons');
  });

  it('shows the elapsed time and when a running job times out', async () => {
    const ghost = (await api<{ results: Array<{ id: number }> }>('GET', `/hosts?search=${encodeURIComponent(`name = ${GHOST}`)}`)).results[0];
    const job = await api<Job>('POST', '/remote_execution/jobs', { job: { namespace: 'rpcutil', action: 'ping', targeting: { host_ids: [ghost.id] }, timeout: 60 } });
    await logIn(page);
    await page.goto(`/jobs/${job.id}`);
    const timesOut = page.getByTestId('job-times-out-at');
    await timesOut.waitFor();
    const running = await api<JobStatus>('GET', `/remote_execution/jobs/${job.id}`);
    expect(running.state).toBe('running');
    expect(running.deadline_at).not.toBeNull();
    expect(Date.parse(running.deadline_at!)).toBeGreaterThan(Date.parse(running.started_at!) + 60_000);
    expect(await timesOut.textContent()).toMatch(/\(in \d+ (seconds|minutes?)\)/);
    // The elapsed time ticks while the job runs.
    const elapsed = page.getByTestId('job-elapsed');
    const first = await elapsed.textContent();
    await page.waitForFunction((before) => document.querySelector('[data-testid="job-elapsed"]')?.textContent !== before, first);
    await screenshot(page, 'job-page-running');

    await page.getByRole('button', { name: 'Cancel', exact: true }).click();
    await waitFinal(job.id);
    // Once it ended, no deadline is shown and the elapsed time is what it took.
    await page.getByText('Took').waitFor();
    expect(await timesOut.count()).toBe(0);
  });

  it('shows a rollout waiting after its canary, and resumes it from the Resume button', async () => {
    const job = await api<Job>('POST', '/remote_execution/jobs', { job: { namespace: 'rpcutil', action: 'ping', targeting: { search: `smart_proxy = "${PROXY}" and name ~ node-j` }, timeout: 20, rollout: { canary: { hosts: 2, then: 'wait' }, batch_size: 5, max_failures: 2 } } });
    await logIn(page);
    await page.goto(`/jobs/${job.id}`);
    const rollout = page.getByTestId('job-rollout');
    await page.getByTestId('job-rollout-paused').waitFor();
    // 12 hosts: a canary of 2, then 5 and 5.
    expect(await rollout.textContent()).toContain('Batch 1 of 3 (2 hosts)');
    expect(await page.getByTestId('job-rollout-threshold').textContent()).toBe('0 of 2 failures allowed');
    expect(await page.getByTestId('job-rollout-paused').textContent()).toContain('Paused: canary of 2 hosts done; waiting for a resume');
    expect(await seriousFindings(page)).toEqual([]);
    await screenshot(page, 'job-page-rollout-paused');
    await page.getByRole('button', { name: 'Resume', exact: true }).click();
    const done = await waitFinal(job.id);
    expect(done.state).toBe('succeeded');
    await page.getByText('Batch 3 of 3 (5 hosts)').waitFor();
    expect(await page.getByRole('button', { name: 'Resume', exact: true }).count()).toBe(0);
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
    expect(await page.getByRole('button', { name: 'Rerun', exact: true }).count()).toBe(1);
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
