/**
 * "Run Puppet" in a real browser (Debian's chromium) against the real stack: the demo proxies'
 * fleet answers puppet#runonce the way choria-plugins/puppet-agent does, so a run ends with each
 * host's own result. Also: a user whose role may not run jobs sees the API's 403 message, on the
 * quick action and in the Remote management flow. Each test saves a screenshot under test-results/.
 */
import type { Browser, Page } from 'playwright-core';
import type { JobStatus, PuppetRunJobHost } from '@common/jobs';
import { launchBrowser, logIn, newPage, screenshot } from './support/browser';
import { ADMIN_PASSWORD, startStack, type Stack } from './support/stack';

jest.setTimeout(120_000);

const VIEWER_PASSWORD = 'a-viewer-password';

describe('web UI: Run Puppet', () => {
  let stack: Stack;
  let browser: Browser;
  let page: Page;

  const asAdmin = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${stack.url}${path}`, {
      method,
      headers: { authorization: `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };
  const jobIdOf = (url: string) => Number(/\/jobs\/(\d+)/.exec(url)?.[1]);

  beforeAll(async () => {
    stack = await startStack({ proxies: [{ name: 'puppet-a.demo', nodes: 20, prefix: 'node-a' }] });
    browser = await launchBrowser();
    const viewer = await asAdmin<{ id: number }>('GET', '/api/v2/roles/Viewer');
    await asAdmin('POST', '/api/v2/users', { user: { login: 'viewer', password: VIEWER_PASSWORD, role_ids: [viewer.id] } });
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

  it('runs Puppet from a host page and ends with the host\'s own result', async () => {
    await logIn(page);
    const hostLink = page.getByRole('link', { name: /^node-a/ }).first();
    const hostName = (await hostLink.textContent())?.trim() ?? '';
    await hostLink.click();
    await page.getByRole('heading', { name: hostName, level: 1 }).waitFor();
    await page.getByRole('button', { name: 'Run Puppet' }).click();
    const dialog = page.getByRole('dialog', { name: 'Run Puppet' });
    await dialog.getByLabel('Tags').fill('profile::base');
    await screenshot(page, 'puppet-run-form');
    await dialog.getByRole('button', { name: 'Run Puppet' }).click();
    await page.waitForURL(/\/jobs\/\d+$/);
    await page.getByTestId('job-progress-text').filter({ hasText: '100% of 1 hosts done' }).waitFor({ timeout: 60_000 });
    const row = page.locator('[data-testid="job-hosts"] tr').filter({ hasText: hostName });
    await row.locator('[data-state="succeeded"]').waitFor();
    // The agent's own answer (runonce shows it only on failure, so it sits in the host's details):
    // it started a one-off run limited to the tags asked for.
    await row.locator('button[aria-expanded]').click();
    await page.getByLabel(`Reply of ${hostName}`).getByText("Started a Puppet run using the 'puppet agent --onetime --no-daemonize --tags profile::base' command").waitFor();
    await screenshot(page, 'puppet-run-host-result');

    const job = await asAdmin<JobStatus>('GET', `/api/v2/remote_execution/jobs/${jobIdOf(page.url())}`);
    expect(job).toMatchObject({ namespace: 'puppet', action: 'runonce', arguments: { force: true, tags: 'profile::base' }, state: 'succeeded', succeeded_hosts: [hostName] });
    // The run was followed to its end: the row shows what it did, as the API records it.
    const [host] = (await asAdmin<{ results: PuppetRunJobHost[] }>('GET', `/api/v2/remote_execution/jobs/${job.id}/hosts`)).results;
    expect(host.puppet_run).toMatchObject({ outcome: expect.stringMatching(/^(changed|unchanged)$/), failed_resources: 0 });
    expect((await row.getByTestId('puppet-run-outcome').textContent())?.trim()).toBe(host.puppet_run!.outcome);
    expect((await row.getByTestId('puppet-run-changed').textContent())?.trim()).toBe(String(host.puppet_run!.changed_resources));
  });

  it('runs Puppet in no-op mode on hosts selected in the hosts list, one result per host', async () => {
    await logIn(page);
    await page.getByRole('checkbox', { name: 'Select row 0', exact: true }).check();
    await page.getByRole('checkbox', { name: 'Select row 1', exact: true }).check();
    await page.getByRole('button', { name: 'Run Puppet (2)' }).click();
    const dialog = page.getByRole('dialog', { name: 'Run Puppet' });
    await dialog.getByLabel('No-op').check();
    await dialog.getByRole('button', { name: 'Run Puppet' }).click();
    await page.waitForURL(/\/jobs\/\d+$/);
    await page.getByTestId('job-progress-text').filter({ hasText: '100% of 2 hosts done' }).waitFor({ timeout: 60_000 });
    await page.locator('[data-testid="job-hosts"] [data-state="succeeded"]').nth(1).waitFor();
    const job = await asAdmin<JobStatus>('GET', `/api/v2/remote_execution/jobs/${jobIdOf(page.url())}`);
    expect(job).toMatchObject({ namespace: 'puppet', action: 'runonce', arguments: { force: true, noop: true }, total_hosts: 2, state: 'succeeded' });
    // Each host answered for itself: a no-op run started on each.
    for (const name of job.succeeded_hosts) {
      await page.locator('[data-testid="job-hosts"] tr').filter({ hasText: name }).locator('button[aria-expanded]').click();
      await page.getByLabel(`Reply of ${name}`).getByText(/--noop/).waitFor();
    }
    await screenshot(page, 'puppet-run-bulk');
  });

  it('shows a run that failed with its failed resources on the job page', async () => {
    // node-a00003's first run fails (the demo fleet fails about one run in eight, fixed by the seed).
    const hostName = 'node-a00003.puppet-a.demo';
    await logIn(page);
    await page.goto(`/hosts/${hostName}`);
    await page.getByRole('heading', { name: hostName, level: 1 }).waitFor();
    await page.getByRole('button', { name: 'Run Puppet' }).click();
    await page.getByRole('dialog', { name: 'Run Puppet' }).getByRole('button', { name: 'Run Puppet' }).click();
    await page.waitForURL(/\/jobs\/\d+$/);
    await page.getByTestId('job-progress-text').filter({ hasText: '100% of 1 hosts done' }).waitFor({ timeout: 60_000 });
    const row = page.locator('[data-testid="job-hosts"] tr').filter({ hasText: hostName });
    await row.locator('[data-state="failed"]').waitFor();
    const [host] = (await asAdmin<{ results: PuppetRunJobHost[] }>('GET', `/api/v2/remote_execution/jobs/${jobIdOf(page.url())}/hosts`)).results;
    expect(host).toMatchObject({ state: 'failed', puppet_run: { outcome: 'failed' } });
    expect(host.puppet_run!.failed_resource_titles.length).toBeGreaterThan(0);
    expect((await row.getByTestId('puppet-run-outcome').textContent())?.trim()).toBe('failed');
    expect((await row.getByTestId('puppet-run-failed').textContent())?.startsWith(String(host.puppet_run!.failed_resources))).toBe(true);
    const failed = page.getByLabel(`Failed resources of ${hostName}`);
    for (const title of host.puppet_run!.failed_resource_titles) await failed.getByText(title, { exact: true }).waitFor();
    await screenshot(page, 'puppet-run-failed-resources');
  });

  it('shows the API\'s 403 message to a user who may view hosts but not run jobs', async () => {
    await logIn(page, 'viewer', VIEWER_PASSWORD);
    await page.getByRole('link', { name: /^node-a/ }).first().click();
    await page.getByRole('button', { name: 'Run Puppet' }).click();
    const puppet = page.getByRole('dialog', { name: 'Run Puppet' });
    await puppet.getByRole('button', { name: 'Run Puppet' }).click();
    const refused = puppet.getByRole('alert').filter({ hasText: 'Puppet was not run' });
    await refused.waitFor();
    expect(await refused.textContent()).toMatch(/create_jobs/);
    expect(page.url()).not.toMatch(/\/jobs\//);
    await screenshot(page, 'puppet-run-forbidden');
    await puppet.getByRole('button', { name: 'Cancel' }).click();

    await page.getByRole('button', { name: 'Remote management' }).click();
    const run = page.getByRole('dialog', { name: 'Run remote action' });
    const listing = run.getByText('Cannot list the namespaces');
    await listing.waitFor();
    expect(await run.textContent()).toMatch(/create_jobs/);
    await screenshot(page, 'remote-management-forbidden');
  });
});
