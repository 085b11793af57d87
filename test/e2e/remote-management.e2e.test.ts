/**
 * The web UI's main flows in a real browser (Debian's chromium) against the real stack: two demo
 * proxies over gRPC with 30 nodes each, the ui-extension on SQLite, the built web UI. Each test
 * saves a screenshot under test-results/.
 */
import { logIn, screenshot } from './support/browser';
import { browserSuite } from './support/suite';

jest.setTimeout(120_000);

describe('web UI: remote management', () => {
  const suite = browserSuite([{ name: 'puppet-a.demo', nodes: 30, prefix: 'node-a' }, { name: 'puppet-b.demo', nodes: 30, prefix: 'node-b' }]);


  it('logs in and shows the hosts of both proxies', async () => {
    await logIn(suite.page);
    await suite.page.getByRole('grid', { name: 'Hosts' }).or(suite.page.getByRole('table', { name: 'Hosts' })).waitFor();
    await suite.page.getByText('node-a').first().waitFor();
    await screenshot(suite.page, 'login-hosts');
  });

  it('runs rpcutil.ping from a host page through Remote management and watches it finish', async () => {
    await logIn(suite.page);
    await suite.page.getByRole('link', { name: /^node-a/ }).first().click();
    await suite.page.getByRole('button', { name: 'Remote management' }).click();
    await suite.page.getByLabel('Namespace').selectOption('rpcutil');
    await suite.page.getByLabel('Action', { exact: true }).selectOption('ping');
    await screenshot(suite.page, 'remote-management-form');
    await suite.page.getByRole('button', { name: 'Run now' }).click();
    await suite.page.getByTestId('job-progress-text').filter({ hasText: '100%' }).waitFor();
    await suite.page.locator('[data-testid="job-hosts"] [data-state="succeeded"]').first().waitFor();
    await screenshot(suite.page, 'remote-management-job');
  });

  async function chooseAction(namespace: string, action: string): Promise<void> {
    const dialog = suite.page.getByRole('dialog', { name: 'Run remote action' });
    await dialog.getByLabel('Namespace').selectOption(namespace);
    await dialog.getByLabel('Action', { exact: true }).selectOption(action);
  }

  async function waitJobDone(total: number): Promise<number> {
    await suite.page.getByTestId('job-progress-text').filter({ hasText: `100% of ${total} hosts done` }).waitFor({ timeout: 60_000 });
    return Number(/\/jobs\/(\d+)/.exec(suite.page.url())?.[1]);
  }

  it('filters hosts by hostgroup, selects all matching and runs a bulk action on them', async () => {
    await logIn(suite.page);
    // Five a suite.page, so the hostgroup's hosts span pages and "select all matching" matters.
    await suite.page.goto('/hosts?per_page=5');
    const search = suite.page.getByRole('textbox', { name: 'Search hosts' });
    await search.click();
    await search.pressSequentially('hostgroup_title = base/w');
    // The suggestion from auto_complete_search completes the value; take it with the keyboard:
    // Down moves into the suggestions, Enter takes one and returns to the field, Enter searches.
    await suite.page.getByRole('menuitem', { name: /base\/web/ }).waitFor();
    await search.press('ArrowDown');
    await suite.page.keyboard.press('Enter');
    await search.press('Enter');
    await suite.page.waitForURL(/search=hostgroup_title/);
    const matching = (await (await fetch(`${suite.stack.url}/api/v2/hosts?search=${encodeURIComponent('hostgroup_title = base/web')}&per_page=1`, { headers: { authorization: `Basic ${Buffer.from('admin:browser-test-password').toString('base64')}` } })).json()) as { subtotal: number };
    expect(matching.subtotal).toBeGreaterThan(5);
    await suite.page.getByRole('checkbox', { name: 'Select all rows' }).check();
    await suite.page.getByRole('button', { name: `Select all ${matching.subtotal} matching` }).click();
    await screenshot(suite.page, 'bulk-select-all');
    await suite.page.getByRole('button', { name: `Run remote action (${matching.subtotal})` }).click();
    await chooseAction('rpcutil', 'ping');
    await suite.page.getByRole('button', { name: 'Run now' }).click();
    await waitJobDone(matching.subtotal);
    await suite.page.getByText('search: hostgroup_title = base/web').waitFor();
    await screenshot(suite.page, 'bulk-job');
  });

  it('opens a proxy\'s command center from the proxy list dropdown and runs an action there', async () => {
    await logIn(suite.page);
    await suite.page.getByRole('link', { name: 'Smart proxies' }).click();
    await suite.page.getByRole('button', { name: 'Actions for puppet-b.demo' }).click();
    await suite.page.getByRole('menuitem', { name: 'Remote Execution' }).click();
    await suite.page.getByRole('heading', { name: 'Remote Execution — puppet-b.demo' }).waitFor();
    await suite.page.getByText('30 agents').or(suite.page.getByText(/\d+ agents, \d+ actions/)).waitFor();
    await screenshot(suite.page, 'command-center-overview');
    await suite.page.getByRole('tab', { name: 'Agents and actions' }).click();
    await suite.page.getByRole('button', { name: /^ping — / }).first().click();
    await suite.page.getByRole('tab', { name: 'Nodes' }).click();
    await suite.page.getByRole('link', { name: /^node-b00001/ }).waitFor();
    await suite.page.getByRole('button', { name: "Run action on this proxy's hosts" }).click();
    await chooseAction('rpcutil', 'ping');
    await suite.page.getByRole('button', { name: 'Run now' }).click();
    const jobId = await waitJobDone(30);
    await suite.page.goBack();
    await suite.page.getByRole('tab', { name: 'History' }).click();
    await suite.page.getByRole('grid', { name: 'Proxy jobs' }).or(suite.page.getByRole('table', { name: 'Proxy jobs' })).getByRole('link', { name: new RegExp(`rpcutil|#${jobId}`) }).first().waitFor();
    await screenshot(suite.page, 'command-center-history');
  });

  it('keeps a proxy\'s running-now list live: a job that ends leaves it without a tab switch', async () => {
    const auth = { authorization: `Basic ${Buffer.from('admin:browser-test-password').toString('base64')}`, 'content-type': 'application/json' };
    const proxies = (await (await fetch(`${suite.stack.url}/api/v2/smart_proxies?search=${encodeURIComponent('name = puppet-b.demo')}`, { headers: auth })).json()) as { results: Array<{ id: number }> };
    await logIn(suite.page);
    await suite.page.goto(`${suite.stack.url}/smart_proxies/${proxies.results[0].id}/remote_execution`);
    await suite.page.getByRole('tab', { name: 'Running now' }).click();
    // A rollout waiting after its canary stays running until it is resumed or cancelled.
    const description = `live list ${Date.now()}`;
    const created = await fetch(`${suite.stack.url}/api/v2/remote_execution/jobs`, { method: 'POST', headers: auth, body: JSON.stringify({ job: { namespace: 'rpcutil', action: 'ping', description, targeting: { search: 'smart_proxy = puppet-b.demo' }, rollout: { canary: { hosts: 1, then: 'wait' } } } }) });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: number };
    const row = suite.page.getByRole('link', { name: description });
    await row.waitFor({ timeout: 15_000 });
    expect((await fetch(`${suite.stack.url}/api/v2/remote_execution/jobs/${id}/cancel`, { method: 'POST', headers: auth })).status).toBe(200);
    await row.waitFor({ state: 'detached', timeout: 15_000 });
  });

  it('links each proxy name to its command center and counts each hostgroup\'s hosts', async () => {
    await logIn(suite.page);
    await suite.page.getByRole('link', { name: 'Smart proxies' }).click();
    await suite.page.getByRole('row', { name: /puppet-b\.demo/ }).getByRole('link', { name: 'puppet-b.demo', exact: true }).click();
    await suite.page.getByRole('heading', { name: 'Remote Execution — puppet-b.demo' }).waitFor();
    // From a host too: its proxy cell links to the same suite.page.
    await suite.page.goto('/hosts?search=name%20~%20node-a00001');
    await suite.page.getByRole('row', { name: /node-a00001/ }).getByRole('link', { name: 'puppet-a.demo', exact: true }).click();
    await suite.page.getByRole('heading', { name: 'Remote Execution — puppet-a.demo' }).waitFor();

    await suite.page.getByRole('link', { name: 'Host groups' }).click();
    const web = suite.page.getByRole('row', { name: /base\/web/ });
    const count = Number(await web.locator('td[data-label="Hosts"]').textContent());
    const listed = (await (await fetch(`${suite.stack.url}/api/v2/hosts?search=${encodeURIComponent('hostgroup_title = base/web')}&per_page=1`, { headers: { authorization: `Basic ${Buffer.from('admin:browser-test-password').toString('base64')}` } })).json()) as { subtotal: number };
    expect(count).toBe(listed.subtotal);
    expect(count).toBeGreaterThan(0);
    await web.getByRole('link', { name: `${count} hosts in base/web` }).click();
    await suite.page.waitForURL(/search=hostgroup_title/);
    await screenshot(suite.page, 'hostgroup-hosts');
  });

  it('reruns a job on another hostgroup', async () => {
    await logIn(suite.page);
    await suite.page.getByRole('link', { name: 'Host groups' }).click();
    await suite.page.getByRole('link', { name: 'base/web', exact: true }).click();
    await suite.page.getByRole('button', { name: 'Run remote action' }).click();
    await chooseAction('rpcutil', 'ping');
    await suite.page.getByRole('button', { name: 'Run now' }).click();
    const parent = await waitJobDone(Number((await suite.page.getByTestId('job-progress-text').textContent())?.match(/of (\d+)/)?.[1]));
    await suite.page.getByRole('button', { name: 'Rerun', exact: true }).click();
    const dialog = suite.page.getByRole('dialog', { name: /^Rerun/ });
    await dialog.getByLabel('Another host group').check();
    await dialog.getByLabel('Host group', { exact: true }).selectOption({ label: 'base/db' });
    await dialog.getByRole('button', { name: 'Rerun', exact: true }).click();
    await suite.page.waitForURL((url) => url.pathname !== `/jobs/${parent}`);
    await suite.page.getByRole('link', { name: `job ${parent}` }).waitFor();
    await suite.page.getByTestId('job-progress-text').filter({ hasText: '100%' }).waitFor({ timeout: 60_000 });
    await screenshot(suite.page, 'replay-other-hostgroup');
  });

  it('shows the DDL validation message under the field when an argument is invalid', async () => {
    await logIn(suite.page);
    await suite.page.getByRole('link', { name: /^node-a/ }).first().click();
    await suite.page.getByRole('button', { name: 'Remote management' }).click();
    await chooseAction('service', 'status');
    await suite.page.getByLabel('Service Name').fill('sshd; rm -rf /');
    await suite.page.getByRole('button', { name: 'Run now' }).click();
    const message = suite.page.locator('#ddl-input-service-error');
    await message.waitFor();
    expect(await message.textContent()).toMatch(/input service of status must .*\(rule service_name\)/);
    expect(suite.page.url()).not.toMatch(/\/jobs\//);
    await screenshot(suite.page, 'invalid-argument');
  });
});
