/// <reference lib="dom" />
/**
 * The admin pages in a real browser against the real stack, as Foreman's Administer menu and My
 * Account: users created and changed, a token created (its secret shown once, and working) and
 * revoked, a locked role cloned and given a filter, audits searched; and the pages follow the API's
 * permission answers: a Viewer sees no Users or Roles entry and gets the API's refusal as an alert,
 * a manager of users reads another user's tokens but not an administrator's. No CSP violation.
 */
import type { Browser, Page } from 'playwright-core';
import { seriousFindings } from './support/axe';
import { launchBrowser, logIn, newPage, screenshot, trackCspViolations } from './support/browser';
import { ADMIN_PASSWORD, startStack, type Stack } from './support/stack';

jest.setTimeout(120_000);

const basic = (login: string, secret: string) => `Basic ${Buffer.from(`${login}:${secret}`).toString('base64')}`;
const ADMIN = basic('admin', ADMIN_PASSWORD);

describe('web UI: admin pages', () => {
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  let violations: string[];

  beforeAll(async () => {
    stack = await startStack({ proxies: [{ name: 'puppet-u.demo', nodes: 2, prefix: 'node-u' }] });
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

  async function api<T>(method: 'GET' | 'POST', path: string, body?: unknown, auth = ADMIN): Promise<{ status: number; body: T }> {
    const res = await fetch(`${stack.url}/api/v2${path}`, { method, headers: { authorization: auth, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as T };
  }

  async function logInAs(login: string, password: string): Promise<void> {
    await page.goto('/');
    await page.getByLabel('Username').fill(login);
    await page.getByLabel('Password').fill(password);
    await page.getByLabel('Password').press('Enter');
    await page.getByRole('heading', { name: 'Hosts', level: 1 }).waitFor();
  }

  it('creates a user with a role and changes it, from Administer > Users', async () => {
    await logIn(page);
    await page.getByRole('button', { name: 'Administer' }).click();
    await page.getByRole('link', { name: 'Users' }).click();
    await page.getByRole('heading', { name: 'Users', level: 1 }).waitFor();
    await page.getByRole('button', { name: 'Create user' }).click();
    const create = page.getByRole('dialog', { name: 'Create user' });
    await create.getByLabel('Login').fill('alice');
    await create.getByLabel('First name').fill('Alice');
    await create.getByLabel(/^Password/).fill('alice-password');
    await create.getByLabel('Viewer').check();
    await create.getByRole('button', { name: 'Create' }).click();
    await page.getByText('User alice created').waitFor();
    const row = page.getByRole('row', { name: /alice/ });
    await row.getByText('Viewer').waitFor();

    await row.getByRole('button', { name: 'Actions for alice' }).click();
    await page.getByRole('menuitem', { name: 'Edit' }).click();
    const edit = page.getByRole('dialog', { name: 'Edit user alice' });
    await edit.getByLabel('Mail').fill('alice@example.com');
    await edit.getByRole('button', { name: 'Save' }).click();
    await page.getByText('User alice saved').waitFor();
    await row.getByText('alice@example.com').waitFor();
    await screenshot(page, 'admin-users');
    expect(await seriousFindings(page)).toEqual([]);

    const saved = await api<{ results: Array<{ login: string; mail: string; roles: Array<{ name: string }> }> }>('GET', '/users?search=login%20%3D%20alice');
    expect(saved.body.results[0]).toMatchObject({ login: 'alice', mail: 'alice@example.com', roles: [{ name: 'Viewer' }] });
  });

  it('creates a personal access token for a user, shows its secret once, and revokes it', async () => {
    await logIn(page);
    await page.goto('/users');
    await page.getByRole('link', { name: 'alice' }).click();
    await page.getByRole('heading', { name: 'alice', level: 1 }).waitFor();
    await page.getByRole('button', { name: 'Create token' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create personal access token' });
    await dialog.getByLabel('Name').fill('deploy');
    await dialog.getByRole('button', { name: 'Create' }).click();
    const created = page.getByRole('dialog', { name: 'Token deploy created' });
    const secret = await created.getByRole('textbox', { name: 'New token' }).inputValue();
    expect(secret.length).toBeGreaterThan(20);
    // The secret works as a password for the API, as the CLI uses it.
    expect((await api('GET', '/current_user', undefined, basic('alice', secret))).status).toBe(200);
    await created.getByRole('button', { name: 'Done' }).click();

    const row = page.getByRole('row', { name: /deploy/ });
    await row.getByText('active').waitFor();
    await row.getByRole('button', { name: 'Revoke deploy' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke' }).click();
    await page.getByText('Token deploy revoked').waitFor();
    await row.getByText('revoked').waitFor();
    expect((await api('GET', '/current_user', undefined, basic('alice', secret))).status).toBe(401);
  });

  it('clones a locked role, adds a filter narrowed by a search to the clone, and deletes it', async () => {
    await logIn(page);
    await page.goto('/roles');
    await page.getByRole('row', { name: /^Viewer/ }).getByText('locked').waitFor();
    await page.getByRole('link', { name: 'Viewer', exact: true }).click();
    await page.getByText('This role is built in and locked').waitFor();
    expect(await page.getByRole('button', { name: 'Add filter' }).count()).toBe(0);
    await page.getByRole('button', { name: 'Clone' }).click();
    const clone = page.getByRole('dialog', { name: 'Clone role Viewer' });
    await clone.getByLabel('Name').fill('Web viewers');
    await clone.getByRole('button', { name: 'Clone' }).click();
    await page.getByRole('heading', { name: 'Web viewers', level: 1 }).waitFor();

    await page.getByRole('button', { name: 'Add filter' }).click();
    const filter = page.getByRole('dialog', { name: 'Add a filter to Web viewers' });
    await filter.getByLabel('view_jobs').check();
    await filter.getByLabel('Search (empty: unlimited)').fill('hostgroup_title = base/web');
    await filter.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Filter added to Web viewers').waitFor();
    const narrowed = page.getByRole('row', { name: /hostgroup_title = base\/web/ });
    await narrowed.getByText('view_jobs').waitFor();
    await screenshot(page, 'admin-role-filters');

    // A search the API refuses keeps the dialog open with its message.
    await page.getByRole('button', { name: 'Add filter' }).click();
    const bad = page.getByRole('dialog', { name: 'Add a filter to Web viewers' });
    await bad.getByLabel('manage_users').check();
    await bad.getByLabel('Search (empty: unlimited)').fill('hostgroup_title = base/web');
    await bad.getByRole('button', { name: 'Save' }).click();
    await bad.getByText(/does not apply to manage_users/).waitFor();
    await bad.getByRole('button', { name: 'Cancel' }).click();

    await narrowed.getByRole('button', { name: /^Actions for filter/ }).click();
    await page.getByRole('menuitem', { name: 'Delete' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
    await narrowed.waitFor({ state: 'detached' });
  });

  it('searches the audit log and opens an entry onto its changes', async () => {
    await logIn(page);
    await page.getByRole('button', { name: 'Administer' }).click();
    await page.getByRole('link', { name: 'Audits' }).click();
    const search = page.getByRole('textbox', { name: 'Search audits' });
    await search.fill('type = User and action = create');
    await search.press('Enter');
    await page.waitForURL(/search=type/);
    const row = page.getByRole('row', { name: /User alice/ });
    await row.getByText('create', { exact: true }).waitFor();
    await row.getByRole('button', { name: 'Changes' }).or(row.getByRole('button', { name: 'Details' })).first().click();
    await page.getByText('"login": "alice"').waitFor();
    await screenshot(page, 'admin-audits');
  });

  it('hides what a Viewer may not do and shows the API\'s refusal when it goes there anyway', async () => {
    await logInAs('alice', 'alice-password');
    await page.getByRole('button', { name: 'Administer' }).click();
    await page.getByRole('link', { name: 'Audits' }).waitFor();
    expect(await page.getByRole('link', { name: 'Users' }).count()).toBe(0);
    expect(await page.getByRole('link', { name: 'Roles' }).count()).toBe(0);

    await page.goto('/users');
    const refusal = page.getByRole('alert').filter({ hasText: 'Cannot list users' });
    await refusal.getByText(/access denied/).waitFor();
    expect(await page.getByRole('button', { name: 'Create user' }).count()).toBe(0);
    await screenshot(page, 'admin-refused');

    // My account: the user's own tokens, which need no permission.
    await page.getByRole('button', { name: /^User menu/ }).click();
    await page.getByRole('menuitem', { name: 'My account' }).click();
    await page.getByRole('heading', { name: 'My account', level: 1 }).waitFor();
    await page.getByRole('grid', { name: 'Personal access tokens of alice' }).getByText('revoked').waitFor();
    await page.getByRole('button', { name: 'Create token' }).click();
    await page.getByRole('dialog', { name: 'Create personal access token' }).getByLabel('Name').fill('laptop');
    await page.getByRole('dialog').getByRole('button', { name: 'Create' }).click();
    await page.getByRole('dialog', { name: 'Token laptop created' }).getByRole('button', { name: 'Done' }).click();
    await page.getByRole('row', { name: /laptop/ }).getByText('active').waitFor();
    expect(await seriousFindings(page)).toEqual([]);
  });

  it('lets a manager of users read the tokens of a user it covers, and shows the refusal for others', async () => {
    const role = await api<{ id: number }>('POST', '/roles', { role: { name: 'User managers' } });
    expect((await api('POST', '/filters', { filter: { role_id: role.body.id, permissions: ['manage_users'] } })).status).toBe(201);
    expect((await api('POST', '/users', { user: { login: 'umgr', password: 'umgr-password', role_ids: [role.body.id] } })).status).toBe(201);
    // bob holds no permission, so a manager of users covers him; alice (a Viewer) holds what it lacks.
    const bob = await api<{ id: number }>('POST', '/users', { user: { login: 'bob', password: 'bob-password' } });
    expect((await api('POST', `/users/${bob.body.id}/personal_access_tokens`, { personal_access_token: { name: 'ci' } })).status).toBe(201);
    await logInAs('umgr', 'umgr-password');
    await page.getByRole('button', { name: 'Administer' }).click();
    await page.getByRole('link', { name: 'Users' }).click();
    await page.getByRole('link', { name: 'bob' }).click();
    await page.getByRole('row', { name: /ci/ }).getByText('active').waitFor();

    for (const other of ['alice', 'admin']) {
      await page.goto(`/users/${other}`);
      await page.getByRole('heading', { name: other, level: 1 }).waitFor();
      await page.getByRole('alert').filter({ hasText: `Cannot list the tokens of ${other}` }).getByText(/access denied/).waitFor();
      expect(await page.getByRole('button', { name: 'Create token' }).isDisabled()).toBe(true);
    }
    await screenshot(page, 'admin-tokens-refused');
  });
});
