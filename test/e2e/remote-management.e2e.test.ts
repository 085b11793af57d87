/**
 * The web UI's main flows in a real browser (Debian's chromium) against the real stack: two demo
 * proxies over gRPC with 30 nodes each, the ui-extension on SQLite, the built web UI. Each test
 * saves a screenshot under test-results/.
 */
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, logIn, newPage, screenshot } from './support/browser';
import { startStack, type Stack } from './support/stack';

jest.setTimeout(120_000);

describe('web UI: remote management', () => {
  let stack: Stack;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    stack = await startStack({ proxies: [{ name: 'puppet-a.demo', nodes: 30, prefix: 'node-a' }, { name: 'puppet-b.demo', nodes: 30, prefix: 'node-b' }] });
    browser = await launchBrowser();
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

  it('logs in and shows the hosts of both proxies', async () => {
    await logIn(page);
    await page.getByRole('grid', { name: 'Hosts' }).or(page.getByRole('table', { name: 'Hosts' })).waitFor();
    await page.getByText('node-a').first().waitFor();
    await screenshot(page, 'login-hosts');
  });

  it('runs rpcutil.ping from a host page through Remote management and watches it finish', async () => {
    await logIn(page);
    await page.getByRole('link', { name: /^node-a/ }).first().click();
    await page.getByRole('button', { name: 'Remote management' }).click();
    await page.getByLabel('Namespace').selectOption('rpcutil');
    await page.getByLabel('Action', { exact: true }).selectOption('ping');
    await screenshot(page, 'remote-management-form');
    await page.getByRole('button', { name: 'Run now' }).click();
    await page.getByTestId('job-progress-text').filter({ hasText: '100%' }).waitFor();
    await page.locator('[data-testid="job-hosts"] [data-state="succeeded"]').first().waitFor();
    await screenshot(page, 'remote-management-job');
  });

  async function chooseAction(namespace: string, action: string): Promise<void> {
    const dialog = page.getByRole('dialog', { name: 'Run remote action' });
    await dialog.getByLabel('Namespace').selectOption(namespace);
    await dialog.getByLabel('Action', { exact: true }).selectOption(action);
  }

  async function waitJobDone(total: number): Promise<number> {
    await page.getByTestId('job-progress-text').filter({ hasText: `100% of ${total} hosts done` }).waitFor({ timeout: 60_000 });
    return Number(/\/jobs\/(\d+)/.exec(page.url())?.[1]);
  }

  it('filters hosts by hostgroup, selects all matching and runs a bulk action on them', async () => {
    await logIn(page);
    // Five a page, so the hostgroup's hosts span pages and "select all matching" matters.
    await page.goto('/hosts?per_page=5');
    const search = page.getByRole('textbox', { name: 'Search hosts' });
    await search.click();
    await search.pressSequentially('hostgroup_title = base/w');
    // The suggestion from auto_complete_search completes the value; take it with the keyboard:
    // Down moves into the suggestions, Enter takes one and returns to the field, Enter searches.
    await page.getByRole('menuitem', { name: /base\/web/ }).waitFor();
    await search.press('ArrowDown');
    await page.keyboard.press('Enter');
    await search.press('Enter');
    await page.waitForURL(/search=hostgroup_title/);
    const matching = (await (await fetch(`${stack.url}/api/v2/hosts?search=${encodeURIComponent('hostgroup_title = base/web')}&per_page=1`, { headers: { authorization: `Basic ${Buffer.from('admin:browser-test-password').toString('base64')}` } })).json()) as { subtotal: number };
    expect(matching.subtotal).toBeGreaterThan(5);
    await page.getByRole('checkbox', { name: 'Select all rows' }).check();
    await page.getByRole('button', { name: `Select all ${matching.subtotal} matching` }).click();
    await screenshot(page, 'bulk-select-all');
    await page.getByRole('button', { name: `Run remote action (${matching.subtotal})` }).click();
    await chooseAction('rpcutil', 'ping');
    await page.getByRole('button', { name: 'Run now' }).click();
    await waitJobDone(matching.subtotal);
    await page.getByText('search: hostgroup_title = base/web').waitFor();
    await screenshot(page, 'bulk-job');
  });

  it('opens a proxy\'s command center from the proxy list dropdown and runs an action there', async () => {
    await logIn(page);
    await page.getByRole('link', { name: 'Smart proxies' }).click();
    await page.getByRole('button', { name: 'Actions for puppet-b.demo' }).click();
    await page.getByRole('menuitem', { name: 'Remote Execution' }).click();
    await page.getByRole('heading', { name: 'Remote Execution — puppet-b.demo' }).waitFor();
    await page.getByText('30 agents').or(page.getByText(/\d+ agents, \d+ actions/)).waitFor();
    await screenshot(page, 'command-center-overview');
    await page.getByRole('tab', { name: 'Agents and actions' }).click();
    await page.getByRole('button', { name: /^ping — / }).first().click();
    await page.getByRole('tab', { name: 'Nodes' }).click();
    await page.getByRole('link', { name: /^node-b00001/ }).waitFor();
    await page.getByRole('button', { name: "Run action on this proxy's hosts" }).click();
    await chooseAction('rpcutil', 'ping');
    await page.getByRole('button', { name: 'Run now' }).click();
    const jobId = await waitJobDone(30);
    await page.goBack();
    await page.getByRole('tab', { name: 'History' }).click();
    await page.getByRole('grid', { name: 'Proxy jobs' }).or(page.getByRole('table', { name: 'Proxy jobs' })).getByRole('link', { name: new RegExp(`rpcutil|#${jobId}`) }).first().waitFor();
    await screenshot(page, 'command-center-history');
  });

  it('links each proxy name to its command center and counts each hostgroup\'s hosts', async () => {
    await logIn(page);
    await page.getByRole('link', { name: 'Smart proxies' }).click();
    await page.getByRole('row', { name: /puppet-b\.demo/ }).getByRole('link', { name: 'puppet-b.demo', exact: true }).click();
    await page.getByRole('heading', { name: 'Remote Execution — puppet-b.demo' }).waitFor();
    // From a host too: its proxy cell links to the same page.
    await page.goto('/hosts?search=name%20~%20node-a00001');
    await page.getByRole('row', { name: /node-a00001/ }).getByRole('link', { name: 'puppet-a.demo', exact: true }).click();
    await page.getByRole('heading', { name: 'Remote Execution — puppet-a.demo' }).waitFor();

    await page.getByRole('link', { name: 'Host groups' }).click();
    const web = page.getByRole('row', { name: /base\/web/ });
    const count = Number(await web.locator('td[data-label="Hosts"]').textContent());
    const listed = (await (await fetch(`${stack.url}/api/v2/hosts?search=${encodeURIComponent('hostgroup_title = base/web')}&per_page=1`, { headers: { authorization: `Basic ${Buffer.from('admin:browser-test-password').toString('base64')}` } })).json()) as { subtotal: number };
    expect(count).toBe(listed.subtotal);
    expect(count).toBeGreaterThan(0);
    await web.getByRole('link', { name: `${count} hosts in base/web` }).click();
    await page.waitForURL(/search=hostgroup_title/);
    await screenshot(page, 'hostgroup-hosts');
  });

  it('reruns a job on another hostgroup', async () => {
    await logIn(page);
    await page.getByRole('link', { name: 'Host groups' }).click();
    await page.getByRole('link', { name: 'base/web', exact: true }).click();
    await page.getByRole('button', { name: 'Run remote action' }).click();
    await chooseAction('rpcutil', 'ping');
    await page.getByRole('button', { name: 'Run now' }).click();
    const parent = await waitJobDone(Number((await page.getByTestId('job-progress-text').textContent())?.match(/of (\d+)/)?.[1]));
    await page.getByRole('button', { name: 'Rerun', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: /^Rerun/ });
    await dialog.getByLabel('Another host group').check();
    await dialog.getByLabel('Host group', { exact: true }).selectOption({ label: 'base/db' });
    await dialog.getByRole('button', { name: 'Rerun', exact: true }).click();
    await page.waitForURL((url) => url.pathname !== `/jobs/${parent}`);
    await page.getByRole('link', { name: `job ${parent}` }).waitFor();
    await page.getByTestId('job-progress-text').filter({ hasText: '100%' }).waitFor({ timeout: 60_000 });
    await screenshot(page, 'replay-other-hostgroup');
  });

  it('shows the DDL validation message under the field when an argument is invalid', async () => {
    await logIn(page);
    await page.getByRole('link', { name: /^node-a/ }).first().click();
    await page.getByRole('button', { name: 'Remote management' }).click();
    await chooseAction('service', 'status');
    await page.getByLabel('Service Name').fill('sshd; rm -rf /');
    await page.getByRole('button', { name: 'Run now' }).click();
    const message = page.locator('#ddl-input-service-error');
    await message.waitFor();
    expect(await message.textContent()).toMatch(/input service of status must .*\(rule service_name\)/);
    expect(page.url()).not.toMatch(/\/jobs\//);
    await screenshot(page, 'invalid-argument');
  });
});
