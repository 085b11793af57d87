/**
 * manage_users must not reach the administrator (issue #24, finding 1): a non-administrator holding
 * manage_users cannot touch an administrator's tokens or password, cannot give itself or anyone the
 * Admin role or a filter beyond what it holds, cannot widen a user by taking taxonomies away, and
 * resets passwords only of users whose every permission it holds (rules 1-3 in auth/abilities.ts).
 */
import type { Express } from 'express';
import request from 'supertest';
import { loadConfig } from '@server/config';
import { createApp } from '@server/http/app';
import { createHostgroupRepository } from '@server/inventory/hostgroup.repository';
import { createTaxonomyRepository } from '@server/inventory/taxonomy.repository';
import { silentLogger } from '@server/logger';
import { buildServices, type Services } from '@server/services';
import { openTestDataSource, testDatabases, type OpenTestDataSource } from '@test/support/databases';

jest.setTimeout(120_000);

const ADMIN_PASSWORD = 'admin-password-1';
const PASSWORD = 'a-long-password';

describe.each(testDatabases())('user management rules on $kind', (database) => {
  let db: OpenTestDataSource;
  let app: Express;
  let services: Services;
  const admin: [string, string] = ['admin', ADMIN_PASSWORD];
  /** A non-administrator with manage_users and Viewer limited to hostgroup web (role "Keeper"). */
  const keeper: [string, string] = ['keeper', PASSWORD];
  const ids = { admin: 0, keeper: 0, keeperRole: 0, viewerRole: 0, adminRole: 0, orgA: 0, orgB: 0 };

  const call = (method: 'get' | 'post' | 'put' | 'delete', path: string, auth: [string, string], body?: unknown) => {
    const t = request(app)[method](path).auth(auth[0], auth[1]);
    return body === undefined ? t : t.send(body as object);
  };
  const makeUser = async (login: string, extra: Record<string, unknown> = {}): Promise<number> =>
    ((await call('post', '/api/v2/users', admin, { user: { login, password: PASSWORD, ...extra } }).expect(201)).body as { id: number }).id;
  const roleId = async (name: string) => ((await call('get', `/api/v2/roles/${encodeURIComponent(name)}`, admin).expect(200)).body as { id: number }).id;
  const tokenNames = async (userId: number) => ((await call('get', `/api/v2/users/${userId}/personal_access_tokens`, admin).expect(200)).body as { results: Array<{ name: string }> }).results.map((t) => t.name);
  const rolesOf = async (userId: number) => ((await call('get', `/api/v2/users/${userId}`, admin).expect(200)).body as { roles: Array<{ name: string }> }).roles.map((r) => r.name);

  beforeAll(async () => {
    db = await openTestDataSource(database);
    const config = loadConfig({ env: {}, overrides: { 'admin.password': ADMIN_PASSWORD, 'admin.password_file': '/dev/null' } });
    services = buildServices({ config, dataSource: db.dataSource, logger: silentLogger(), clock: () => new Date() });
    await services.auth.ensureAdmin({ password: ADMIN_PASSWORD, passwordFile: '/dev/null' });
    app = createApp({ services, logger: silentLogger() });
    const now = new Date();
    await createHostgroupRepository(db.dataSource.manager).ensure('web', now);
    await createHostgroupRepository(db.dataSource.manager).ensure('db', now);
    const taxonomies = createTaxonomyRepository(db.dataSource.manager);
    ids.orgA = (await taxonomies.ensure('organization', 'OrgA', now)).row.id;
    ids.orgB = (await taxonomies.ensure('organization', 'OrgB', now)).row.id;
    ids.admin = ((await call('get', '/api/v2/current_user', admin).expect(200)).body as { id: number }).id;
    ids.viewerRole = await roleId('Viewer');
    ids.adminRole = await roleId('Admin');
    ids.keeperRole = ((await call('post', '/api/v2/roles', admin, { role: { name: 'Keeper' } }).expect(201)).body as { id: number }).id;
    await call('post', '/api/v2/filters', admin, { filter: { role_id: ids.keeperRole, permissions: ['manage_users'] } }).expect(201);
    await call('post', '/api/v2/filters', admin, { filter: { role_id: ids.keeperRole, permissions: ['view_hosts', 'view_jobs'], search: 'hostgroup = web' } }).expect(201);
    ids.keeper = await makeUser('keeper', { role_ids: [ids.keeperRole] });
    await call('post', `/api/v2/users/${ids.admin}/personal_access_tokens`, admin, { personal_access_token: { name: 'admin-ci' } }).expect(201);
  });

  afterAll(async () => {
    await db?.close();
  });

  it("refuses every personal access token route of an administrator's account, and leaves its tokens as they were", async () => {
    const [token] = ((await call('get', `/api/v2/users/${ids.admin}/personal_access_tokens`, admin).expect(200)).body as { results: Array<{ id: number }> }).results;
    const base = `/api/v2/users/${ids.admin}/personal_access_tokens`;
    const answers = [
      await call('get', base, keeper),
      await call('get', `${base}/${token.id}`, keeper),
      await call('post', base, keeper, { personal_access_token: { name: 'stolen' } }),
      await call('delete', `${base}/${token.id}`, keeper),
    ];
    expect(answers.map((r) => r.status)).toEqual([403, 403, 403, 403]);
    expect(answers[2].body.error.message).toBe('access denied: only administrators may create a token for an administrator');
    expect(await tokenNames(ids.admin)).toEqual(['admin-ci']);
    await call('get', '/api/v2/current_user', ['admin', ADMIN_PASSWORD]).expect(200);
  });

  it("refuses to change an administrator's password or roles, or to delete one", async () => {
    await call('put', `/api/v2/users/${ids.admin}`, keeper, { user: { password: 'taken-over-1' } }).expect(403);
    await call('put', `/api/v2/users/${ids.admin}`, keeper, { user: { role_ids: [] } }).expect(403);
    await call('delete', `/api/v2/users/${ids.admin}`, keeper).expect(403);
    await call('get', '/api/v2/current_user', admin).expect(200);
  });

  it('refuses to give itself the built-in Admin role, and leaves its roles as they were', async () => {
    const res = await call('put', `/api/v2/users/${ids.keeper}`, keeper, { user: { role_ids: [ids.keeperRole, ids.adminRole] } }).expect(403);
    expect(res.body.error.message).toMatch(/^access denied: these roles and taxonomies would grant permissions you do not hold \(view_hosts everywhere; /);
    expect(res.body.error.details.missing_permissions).toEqual(expect.arrayContaining(['manage_inventory', 'view_audit_logs', 'manage_others_schedules']));
    expect(await rolesOf(ids.keeper)).toEqual(['Keeper']);
  });

  it('refuses to give a new user a role beyond its own, and creates nobody', async () => {
    await call('post', '/api/v2/users', keeper, { user: { login: 'keeper-puppet', password: PASSWORD, role_ids: [ids.viewerRole] } }).expect(403);
    await call('get', '/api/v2/users/keeper-puppet', admin).expect(404);
  });

  it('refuses a filter on its own role, or on any role, beyond what it holds; accepts one inside it', async () => {
    const before = ((await call('get', `/api/v2/roles/${ids.keeperRole}`, admin).expect(200)).body as { filters: unknown[] }).filters;
    for (const filter of [
      { role_id: ids.keeperRole, permissions: ['view_hosts'] },
      { role_id: ids.keeperRole, permissions: ['view_hosts'], search: 'hostgroup = db' },
      { role_id: ids.keeperRole, permissions: ['create_jobs'], search: 'hostgroup = web' },
    ]) {
      await call('post', '/api/v2/filters', keeper, { filter }).expect(403);
    }
    expect(((await call('get', `/api/v2/roles/${ids.keeperRole}`, admin).expect(200)).body as { filters: unknown[] }).filters).toEqual(before);
    const team = ((await call('post', '/api/v2/roles', keeper, { role: { name: 'Web watchers' } }).expect(201)).body as { id: number }).id;
    await call('post', '/api/v2/filters', keeper, { filter: { role_id: team, permissions: ['view_hosts'], search: 'hostgroup = web' } }).expect(201);
  });

  it('refuses to widen one of its own filters, to clone the Admin role, or to delete a filter above it', async () => {
    const filters = ((await call('get', `/api/v2/roles/${ids.keeperRole}/filters`, admin).expect(200)).body as { results: Array<{ id: number; search: string | null }> }).results;
    const scoped = filters.find((f) => f.search === 'hostgroup = web')!;
    await call('put', `/api/v2/filters/${scoped.id}`, keeper, { filter: { search: null } }).expect(403);
    await call('post', `/api/v2/roles/${ids.adminRole}/clone`, keeper, { role: { name: 'My admin' } }).expect(403);
    await call('get', '/api/v2/roles/My%20admin', admin).expect(404);
    const wide = ((await call('post', '/api/v2/roles', admin, { role: { name: 'Wide' } }).expect(201)).body as { id: number }).id;
    const wideFilter = ((await call('post', '/api/v2/filters', admin, { filter: { role_id: wide, permissions: ['view_hosts'] } }).expect(201)).body as { id: number }).id;
    await call('delete', `/api/v2/filters/${wideFilter}`, keeper).expect(403);
    await call('delete', `/api/v2/roles/${wide}`, keeper).expect(403);
    await call('get', `/api/v2/filters/${wideFilter}`, admin).expect(200);
  });

  it('resets the password only of a user whose every permission it holds', async () => {
    const viewer = await makeUser('plain-viewer', { role_ids: [ids.viewerRole] });
    const res = await call('put', `/api/v2/users/${viewer}`, keeper, { user: { password: 'taken-over-1' } }).expect(403);
    expect(res.body.error.message).toMatch(/^access denied: you may not change plain-viewer: that user holds permissions you do not \(view_hosts everywhere; /);
    await call('get', '/api/v2/current_user', ['plain-viewer', PASSWORD]).expect(200);
    await call('post', `/api/v2/users/${viewer}/personal_access_tokens`, keeper, { personal_access_token: { name: 'x' } }).expect(403);
    await call('delete', `/api/v2/users/${viewer}`, keeper).expect(403);

    const webTeam = ((await call('post', '/api/v2/roles', admin, { role: { name: 'Web only' } }).expect(201)).body as { id: number }).id;
    await call('post', '/api/v2/filters', admin, { filter: { role_id: webTeam, permissions: ['view_hosts'], search: 'hostgroup = web' } }).expect(201);
    const covered = await makeUser('web-viewer', { role_ids: [webTeam] });
    await call('put', `/api/v2/users/${covered}`, keeper, { user: { password: 'reset-by-keeper' } }).expect(200);
    await call('get', '/api/v2/current_user', ['web-viewer', 'reset-by-keeper']).expect(200);
  });

  it('refuses to widen a user by taking its organizations away, and narrows it freely', async () => {
    const scopedRole = ((await call('post', '/api/v2/roles', admin, { role: { name: 'OrgA viewers' } }).expect(201)).body as { id: number }).id;
    await call('post', '/api/v2/filters', admin, { filter: { role_id: scopedRole, permissions: ['view_hosts'], search: 'hostgroup = web' } }).expect(201);
    const holder = await makeUser('orga-manager', { role_ids: [scopedRole, (await roleId('Keeper'))], organization_ids: [ids.orgA] });
    const manager: [string, string] = ['orga-manager', PASSWORD];
    const member = ((await call('post', '/api/v2/users', manager, { user: { login: 'orga-member', password: PASSWORD, role_ids: [scopedRole], organization_ids: [ids.orgA] } }).expect(201)).body as { id: number }).id;
    await call('post', '/api/v2/users', manager, { user: { login: 'anywhere-member', password: PASSWORD, role_ids: [scopedRole] } }).expect(403);
    await call('put', `/api/v2/users/${member}`, manager, { user: { organization_ids: [] } }).expect(403);
    await call('put', `/api/v2/users/${member}`, manager, { user: { organization_ids: [ids.orgB] } }).expect(403);
    await call('put', `/api/v2/users/${holder}`, manager, { user: { organization_ids: [] } }).expect(403);
    const after = (await call('get', `/api/v2/users/${member}`, admin).expect(200)).body as { organizations: Array<{ id: number }> };
    expect(after.organizations.map((o) => o.id)).toEqual([ids.orgA]);
  });
});
