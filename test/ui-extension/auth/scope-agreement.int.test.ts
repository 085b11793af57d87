/**
 * The SQL a repository appends for a scope (auth/scope-sql.ts) and CASL's own evaluation of the
 * same rules (abilities.ts `allowsHost`) agree on every host, for random rules and hosts with
 * missing hostgroups, organizations and locations, on both databases.
 */
import fc from 'fast-check';
import { allowsHost, hostScope, type CurrentUser, type PermissionRule } from '@server/auth/abilities';
import { createHostRepository } from '@server/inventory/host.repository';
import { createHostgroupRepository } from '@server/inventory/hostgroup.repository';
import { createTaxonomyRepository } from '@server/inventory/taxonomy.repository';
import { openTestDataSource, testDatabases, type OpenTestDataSource } from '@test/support/databases';

jest.setTimeout(120_000);

describe.each(testDatabases())('host scopes on $kind', (database) => {
  let db: OpenTestDataSource;
  const hosts: Array<{ id: number; hostgroup_id: number | null; organization_id: number | null; location_id: number | null }> = [];
  const groupIds: number[] = [];
  let orgIds: number[] = [];
  let locIds: number[] = [];

  beforeAll(async () => {
    db = await openTestDataSource(database);
    const now = new Date();
    const groups = createHostgroupRepository(db.dataSource.manager);
    for (const title of ['a', 'a/b', 'a/b/c', 'd', 'd/e']) groupIds.push((await groups.ensure(title, now)).row.id);
    const tax = createTaxonomyRepository(db.dataSource.manager);
    orgIds = [(await tax.ensure('organization', 'o1', now)).row.id, (await tax.ensure('organization', 'o2', now)).row.id];
    locIds = [(await tax.ensure('location', 'l1', now)).row.id, (await tax.ensure('location', 'l2', now)).row.id];
    const pick = <T>(items: T[], i: number): T | null => (i % (items.length + 1) === items.length ? null : items[i % (items.length + 1)]);
    const rows = Array.from({ length: 60 }, (_, i) => ({ name: `scope-${i}`, hostgroupId: pick(groupIds, i), smartProxyId: null, organizationId: pick(orgIds, Math.floor(i / 6)), locationId: pick(locIds, Math.floor(i / 18)), lastSeenAt: null, missingSince: null }));
    const stored = await createHostRepository(db.dataSource.manager).insertHosts(rows, now);
    for (const h of stored) hosts.push({ id: h.id, hostgroup_id: h.hostgroupId, organization_id: h.organizationId, location_id: h.locationId });
  });

  afterAll(async () => {
    await db?.close();
  });

  it('finds through SQL exactly the hosts CASL allows, for random view_hosts rules', async () => {
    const repo = createHostRepository(db.dataSource.manager);
    const subset = (ids: () => number[]) => fc.option(fc.subarray(ids()), { nil: undefined });
    const rule = fc.record({ hostgroupIds: subset(() => groupIds), organizationIds: subset(() => orgIds), locationIds: subset(() => locIds) }, { requiredKeys: [] })
      .map((r): PermissionRule => ({ permission: 'view_hosts', ...Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)) }));
    await fc.assert(
      fc.asyncProperty(fc.array(rule, { maxLength: 3 }), async (rules) => {
        const user: CurrentUser = { id: 1, login: 'prop', admin: false, rules };
        const viaSql = (await repo.findTargets({ search: '' }, new Date(), hostScope(user, 'view_hosts'))).map((h) => h.id).sort((a, b) => a - b);
        const viaCasl = hosts.filter((h) => allowsHost(user, 'view_hosts', h)).map((h) => h.id).sort((a, b) => a - b);
        expect(viaSql).toEqual(viaCasl);
      }),
      { numRuns: 60, seed: 8 },
    );
  });
});
