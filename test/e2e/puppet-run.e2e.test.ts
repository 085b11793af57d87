/**
 * "Run Puppet" in a real browser (Debian's chromium) against the real stack: the demo proxies'
 * fleet answers puppet#runonce the way choria-plugins/puppet-agent does, so a run ends with each
 * host's own result. Also: a user whose role may not run jobs sees the API's 403 message, on the
 * quick action and in the Remote management flow. Each test saves a screenshot under test-results/.
 */
import type { JobStatus, PuppetRunJobHost } from '@common/jobs';
import { logIn, screenshot } from './support/browser';
import { browserSuite } from './support/suite';
import { ADMIN_PASSWORD } from './support/stack';

jest.setTimeout(120_000);

const VIEWER_PASSWORD = 'a-viewer-password';

describe('web UI: Run Puppet', () => {
  const suite = browserSuite([{ name: 'puppet-a.demo', nodes: 20, prefix: 'node-a' }]);

  const asAdmin = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${suite.stack.url}${path}`, {
      method,
      headers: { authorization: `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };
  const jobIdOf = (url: string) => Number(/\/jobs\/(\d+)/.exec(url)?.[1]);

  beforeAll(async () => {
    const viewer = await asAdmin<{ id: number }>('GET', '/api/v2/roles/Viewer');
    await asAdmin('POST', '/api/v2/users', { user: { login: 'viewer', password: VIEWER_PASSWORD, role_ids: [viewer.id] } });
  });

  it('runs Puppet from a host page and ends with the host\'s own result', async () => {
    await logIn(suite.page);
    const hostLink = suite.page.getByRole('link', { name: /^node-a/ }).first();
    const hostName = (await hostLink.textContent())?.trim() ?? '';
    await hostLink.click();
    await suite.page.getByRole('heading', { name: hostName, level: 1 }).waitFor();
    await suite.page.getByRole('button', { name: 'Run Puppet' }).click();
    const dialog = suite.page.getByRole('dialog', { name: 'Run Puppet' });
    await dialog.getByLabel('Tags').fill('profile::base');
    await screenshot(suite.page, 'puppet-run-form');
    await dialog.getByRole('button', { name: 'Run Puppet' }).click();
    await suite.page.waitForURL(/\/jobs\/\d+$/);
    await suite.page.getByTestId('job-progress-text').filter({ hasText: '100% of 1 hosts done' }).waitFor({ timeout: 60_000 });
    const row = suite.page.locator('[data-testid="job-hosts"] tr').filter({ hasText: hostName });
    await row.locator('[data-state="succeeded"]').waitFor();
    // The agent's own answer (runonce shows it only on failure, so it sits in the host's details):
    // it started a one-off run limited to the tags asked for.
    await row.locator('button[aria-expanded]').click();
    await suite.page.getByLabel(`Reply of ${hostName}`).getByText("Started a Puppet run using the 'puppet agent --onetime --no-daemonize --tags profile::base' command").waitFor();
    await screenshot(suite.page, 'puppet-run-host-result');

    const job = await asAdmin<JobStatus>('GET', `/api/v2/remote_execution/jobs/${jobIdOf(suite.page.url())}`);
    expect(job).toMatchObject({ namespace: 'puppet', action: 'runonce', arguments: { force: true, tags: 'profile::base' }, state: 'succeeded', succeeded_hosts: [hostName] });
    // The run was followed to its end: the row shows what it did, as the API records it.
    const [host] = (await asAdmin<{ results: PuppetRunJobHost[] }>('GET', `/api/v2/remote_execution/jobs/${job.id}/hosts`)).results;
    expect(host.puppet_run).toMatchObject({ outcome: expect.stringMatching(/^(changed|unchanged)$/), failed_resources: 0 });
    expect((await row.getByTestId('puppet-run-outcome').textContent())?.trim()).toBe(host.puppet_run!.outcome);
    expect((await row.getByTestId('puppet-run-changed').textContent())?.trim()).toBe(String(host.puppet_run!.changed_resources));
  });

  it('runs Puppet in no-op mode on hosts selected in the hosts list, one result per host', async () => {
    await logIn(suite.page);
    await suite.page.getByRole('checkbox', { name: 'Select row 0', exact: true }).check();
    await suite.page.getByRole('checkbox', { name: 'Select row 1', exact: true }).check();
    await suite.page.getByRole('button', { name: 'Run Puppet (2)' }).click();
    const dialog = suite.page.getByRole('dialog', { name: 'Run Puppet' });
    await dialog.getByLabel('No-op').check();
    // "Run only if not already running": skip is the default; here the run waits for a run in progress.
    expect(await dialog.getByRole('radio', { name: 'Skip the host' }).isChecked()).toBe(true);
    await dialog.getByRole('radio', { name: 'Wait for that run to end, then run' }).check();
    await dialog.getByRole('button', { name: 'Run Puppet' }).click();
    await suite.page.waitForURL(/\/jobs\/\d+$/);
    await suite.page.getByTestId('job-progress-text').filter({ hasText: '100% of 2 hosts done' }).waitFor({ timeout: 60_000 });
    await suite.page.locator('[data-testid="job-hosts"] [data-state="succeeded"]').nth(1).waitFor();
    const job = await asAdmin<JobStatus>('GET', `/api/v2/remote_execution/jobs/${jobIdOf(suite.page.url())}`);
    expect(job).toMatchObject({ namespace: 'puppet', action: 'runonce', arguments: { force: true, noop: true, if_running: 'wait' }, total_hosts: 2, state: 'succeeded' });
    // Each host answered for itself: a no-op run started on each.
    for (const name of job.succeeded_hosts) {
      await suite.page.locator('[data-testid="job-hosts"] tr').filter({ hasText: name }).locator('button[aria-expanded]').click();
      await suite.page.getByLabel(`Reply of ${name}`).getByText(/--noop/).waitFor();
    }
    await screenshot(suite.page, 'puppet-run-bulk');
  });

  it('shows a run that failed with its failed resources on the job page', async () => {
    // node-a00003's first run fails (the demo fleet fails about one run in eight, fixed by the seed).
    const hostName = 'node-a00003.puppet-a.demo';
    await logIn(suite.page);
    await suite.page.goto(`/hosts/${hostName}`);
    await suite.page.getByRole('heading', { name: hostName, level: 1 }).waitFor();
    await suite.page.getByRole('button', { name: 'Run Puppet' }).click();
    await suite.page.getByRole('dialog', { name: 'Run Puppet' }).getByRole('button', { name: 'Run Puppet' }).click();
    await suite.page.waitForURL(/\/jobs\/\d+$/);
    await suite.page.getByTestId('job-progress-text').filter({ hasText: '100% of 1 hosts done' }).waitFor({ timeout: 60_000 });
    const row = suite.page.locator('[data-testid="job-hosts"] tr').filter({ hasText: hostName });
    await row.locator('[data-state="failed"]').waitFor();
    const [host] = (await asAdmin<{ results: PuppetRunJobHost[] }>('GET', `/api/v2/remote_execution/jobs/${jobIdOf(suite.page.url())}/hosts`)).results;
    expect(host).toMatchObject({ state: 'failed', puppet_run: { outcome: 'failed' } });
    expect(host.puppet_run!.failed_resource_titles.length).toBeGreaterThan(0);
    expect((await row.getByTestId('puppet-run-outcome').textContent())?.trim()).toBe('failed');
    expect((await row.getByTestId('puppet-run-failed').textContent())?.startsWith(String(host.puppet_run!.failed_resources))).toBe(true);
    const failed = suite.page.getByLabel(`Failed resources of ${hostName}`);
    for (const title of host.puppet_run!.failed_resource_titles) await failed.getByText(title, { exact: true }).waitFor();
    await screenshot(suite.page, 'puppet-run-failed-resources');
  });

  it('filters a Puppet run job\'s hosts by run outcome', async () => {
    const created = await asAdmin<{ id: number }>('POST', '/api/v2/remote_execution/puppet_run', { targeting: { search: 'name ~ node-a' } });
    await logIn(suite.page);
    await suite.page.goto(`/jobs/${created.id}`);
    await suite.page.getByTestId('job-progress-text').filter({ hasText: /^100% of \d+ hosts done$/ }).waitFor({ timeout: 60_000 });
    const job = await asAdmin<JobStatus>('GET', `/api/v2/remote_execution/jobs/${created.id}`);
    const hosts = (await asAdmin<{ results: PuppetRunJobHost[] }>('GET', `/api/v2/remote_execution/jobs/${created.id}/hosts?per_page=100`)).results;
    const counts = job.aggregates!.find((a) => a.function === 'puppet_run')!.value as Record<string, number>;
    // The most frequent outcome: the filter must show exactly its hosts, and no others.
    const [outcome] = Object.entries(counts).sort((a, b) => b[1] - a[1])[0];
    const expected = hosts.filter((h) => (h.puppet_run?.outcome ?? 'not_run') === outcome).map((h) => h.host_name).sort();
    expect(expected.length).toBe(counts[outcome]);
    const filter = suite.page.getByTestId('puppet-run-outcome-filter');
    await filter.locator(`#outcome-${outcome}`).click();
    await suite.page.waitForURL(new RegExp(`[?&]outcome=${outcome}(&|$)`));
    const rows = suite.page.locator('[data-testid="job-hosts"] tbody tr:has(a[href^="/hosts/"])');
    await suite.page.waitForFunction((n) => document.querySelectorAll('[data-testid="job-hosts"] tbody tr td[data-label="Host"]').length === n, expected.length);
    const shown = (await rows.locator('td[data-label="Host"]').allTextContents()).map((t) => t.trim()).sort();
    expect(shown).toEqual(expected);
    for (const text of await rows.getByTestId('puppet-run-outcome').allTextContents()) expect(text.trim()).toBe(outcome.replace('_', ' '));
    // The export links carry the filter too.
    expect(await suite.page.getByTestId('job-hosts-export').getByRole('link', { name: 'CSV' }).getAttribute('href')).toContain(`outcome=${outcome}`);
    await screenshot(suite.page, 'puppet-run-outcome-filter');
    // An outcome no host had: nothing matches, and clearing the filters shows every host again.
    const none = ['changed', 'unchanged', 'failed', 'noop_pending', 'not_run'].find((o) => !counts[o]);
    if (none) {
      await filter.locator(`#outcome-${outcome}`).click();
      await filter.locator(`#outcome-${none}`).click();
      await suite.page.getByText('No hosts match this filter').waitFor();
      await suite.page.getByRole('button', { name: 'Clear all filters' }).click();
      await suite.page.waitForFunction((n) => document.querySelectorAll('[data-testid="job-hosts"] tbody tr td[data-label="Host"]').length === n, Math.min(hosts.length, 20));
    }
  });

  it('shows the API\'s 403 message to a user who may view hosts but not run jobs', async () => {
    await logIn(suite.page, 'viewer', VIEWER_PASSWORD);
    await suite.page.getByRole('link', { name: /^node-a/ }).first().click();
    await suite.page.getByRole('button', { name: 'Run Puppet' }).click();
    const puppet = suite.page.getByRole('dialog', { name: 'Run Puppet' });
    await puppet.getByRole('button', { name: 'Run Puppet' }).click();
    const refused = puppet.getByRole('alert').filter({ hasText: 'Puppet was not run' });
    await refused.waitFor();
    expect(await refused.textContent()).toMatch(/create_jobs/);
    expect(suite.page.url()).not.toMatch(/\/jobs\//);
    await screenshot(suite.page, 'puppet-run-forbidden');
    await puppet.getByRole('button', { name: 'Cancel' }).click();

    await suite.page.getByRole('button', { name: 'Remote management' }).click();
    const run = suite.page.getByRole('dialog', { name: 'Run remote action' });
    const listing = run.getByText('Cannot list the namespaces');
    await listing.waitFor();
    expect(await run.textContent()).toMatch(/create_jobs/);
    await screenshot(suite.page, 'remote-management-forbidden');
  });
});
