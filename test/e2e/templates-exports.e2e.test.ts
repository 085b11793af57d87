/**
 * Issue #19 in a real browser against the real stack (one demo proxy, SQLite, the built web UI):
 * arguments reloaded from history in the Remote management form, the job page's export links, and
 * a job template run from the Job templates page. Each test saves a screenshot under test-results/.
 */
import { logIn, screenshot } from './support/browser';
import { browserSuite } from './support/suite';
import { ADMIN_PASSWORD } from './support/stack';

jest.setTimeout(120_000);

const BASIC = `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}`;

describe('web UI: arguments from history, exports, job templates', () => {
  const suite = browserSuite([{ name: 'puppet-a.demo', nodes: 6, prefix: 'node-a' }]);


  const apiPost = async (path: string, body: unknown) => {
    const res = await fetch(`${suite.stack.url}/api/v2${path}`, { method: 'POST', headers: { authorization: BASIC, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(res.status).toBe(201);
    return (await res.json()) as { id: number };
  };

  it('fills the form from the arguments of an earlier run, chosen in a searchable select', async () => {
    const hosts = (await (await fetch(`${suite.stack.url}/api/v2/hosts?per_page=1`, { headers: { authorization: BASIC } })).json()) as { results: Array<{ id: number }> };
    await apiPost('/remote_execution/jobs', { job: { namespace: 'service', action: 'status', arguments: { service: 'history-sshd' }, targeting: { host_ids: [hosts.results[0].id] }, timeout: 5 } });
    await apiPost('/remote_execution/jobs', { job: { namespace: 'service', action: 'status', arguments: { service: 'history-nginx' }, targeting: { host_ids: [hosts.results[0].id] }, timeout: 5 } });
    await logIn(suite.page);
    await suite.page.getByRole('link', { name: /^node-a/ }).first().click();
    await suite.page.getByRole('button', { name: 'Remote management' }).click();
    const dialog = suite.page.getByRole('dialog', { name: 'Run remote action' });
    await dialog.getByLabel('Namespace').selectOption('service');
    await dialog.getByLabel('Action', { exact: true }).selectOption('status');
    const select = dialog.getByRole('combobox', { name: 'Arguments from history' });
    // Newest first.
    await poll('newest first', async () => /service=history-nginx/.test((await select.locator('option').nth(1).textContent()) ?? ''));
    await dialog.getByRole('searchbox', { name: 'Search arguments from history' }).fill('sshd');
    await poll('narrowed to sshd', async () => (await select.locator('option').count()) === 2);
    await select.selectOption({ index: 1 });
    await poll('form filled', async () => (await dialog.locator('#ddl-input-service').inputValue()) === 'history-sshd');
    await screenshot(suite.page, 'remote-management-argument-history');
  });

  it('links the job\'s hosts as CSV and JSON lines for the table\'s filter', async () => {
    const job = await apiPost('/remote_execution/jobs', { job: { namespace: 'rpcutil', action: 'ping', targeting: { search: 'name ~ node-a' }, timeout: 5 } });
    await logIn(suite.page);
    await suite.page.goto(`/jobs/${job.id}?state=succeeded`);
    await suite.page.getByTestId('job-progress-text').filter({ hasText: '100%' }).waitFor({ timeout: 60_000 });
    const csv = suite.page.getByTestId('job-hosts-export').getByRole('link', { name: 'CSV' });
    expect(await csv.getAttribute('href')).toBe(`/api/v2/remote_execution/jobs/${job.id}/hosts/export?format=csv&state=succeeded`);
    // The link works with the browser's session cookie.
    const res = await suite.page.request.get(`${suite.stack.url}${(await csv.getAttribute('href'))!}`);
    expect(res.headers()['content-type']).toMatch(/^text\/csv/);
    const lines = (await res.text()).trimEnd().split('\r\n');
    expect(lines[0]).toMatch(/^host_id,host_name,state,/);
    expect(lines.slice(1).every((l) => l.split(',')[2] === 'succeeded')).toBe(true);
    expect(await suite.page.getByTestId('job-hosts-export').getByRole('link', { name: 'JSON lines' }).getAttribute('href')).toContain('format=jsonl');
    await screenshot(suite.page, 'job-page-export-links');
  });

  it('runs a job template from the Job templates page with its input', async () => {
    await apiPost('/job_templates', { job_template: { name: 'status-of', description_format: 'Status of %{service}', namespace: 'service', action: 'status', inputs: [{ name: 'service', type: 'string', required: true }], targeting: { search: 'name ~ node-a' }, timeout: 5 } });
    await logIn(suite.page);
    await suite.page.getByRole('link', { name: 'Job templates' }).click();
    await suite.page.getByRole('button', { name: 'Run status-of' }).click();
    const dialog = suite.page.getByRole('dialog', { name: 'Run status-of' });
    await dialog.locator('#ddl-input-service').fill('sshd');
    await screenshot(suite.page, 'job-template-run');
    await dialog.getByRole('button', { name: 'Run' }).click();
    await suite.page.getByTestId('job-progress-text').filter({ hasText: '100% of 6 hosts done' }).waitFor({ timeout: 60_000 });
    await suite.page.getByText('Status of sshd').first().waitFor();
  });
});

/** Waits for a condition the page reaches on its own (playwright-core has no retrying expect). */
async function poll(what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
