/**
 * Reference lists are scoped like hosts (issue #24, finding 4; rule 5 in auth/abilities.ts):
 * hostgroups, organizations, locations and fact names, listed, shown by id and completed in the
 * host search bar, show a restricted user only what its view_hosts rules name or what a host it
 * sees uses. Against the real app of the auth stack (hosts and hostgroups in its header).
 */
import { createHostRepository } from '@server/inventory/host.repository';
import { createTaxonomyRepository } from '@server/inventory/taxonomy.repository';
import { testDatabases } from '@test/support/databases';
import { startAuthStack, type AuthStack, type Persona } from '../auth/support/auth-stack';

jest.setTimeout(180_000);

describe.each(testDatabases())('reference lists on $kind', (database) => {
  let s: AuthStack;
  let dbLocation: number;
  const webFact = () => `${s.prefix.replace(/-$/, '')}_web_role`;
  const dbFact = () => `${s.prefix.replace(/-$/, '')}_db_secret`;

  const names = async (persona: Persona, path: string, field: 'title' | 'name' = 'name') =>
    ((await s.as(persona).get(path).expect(200)).body as { results: Array<Record<string, string>> }).results.map((r) => r[field]);
  const completions = async (persona: Persona, search: string) =>
    ((await s.as(persona).get(`/api/v2/hosts/auto_complete_search?search=${encodeURIComponent(search)}`).expect(200)).body as Array<{ part: string }>).map((c) => c.part.trim());

  beforeAll(async () => {
    s = await startAuthStack(database);
    const now = new Date();
    await createHostRepository(s.db.dataSource.manager).upsertFacts([
      { hostId: s.hosts.webA.id, name: webFact(), value: 'frontend' },
      { hostId: s.hosts.dbB.id, name: dbFact(), value: 'payroll' },
    ]);
    dbLocation = (await createTaxonomyRepository(s.db.dataSource.manager).ensure('location', `${s.prefix}DbRoom`, now)).row.id;
    await s.db.dataSource.query('UPDATE hosts SET location_id = ? WHERE id = ?', [dbLocation, s.hosts.dbB.id]);
  });

  afterAll(async () => {
    await s?.close();
  });

  it('lists and shows only the hostgroups a user limited to one hostgroup may see', async () => {
    expect(await names('inScope', '/api/v2/hostgroups', 'title')).toEqual(['web', 'web/eu']);
    expect(await names('outOfScope', '/api/v2/hostgroups', 'title')).toEqual(['db']);
    expect(await names('admin', '/api/v2/hostgroups', 'title')).toEqual(['db', 'web', 'web/eu']);
    const total = ((await s.as('inScope').get('/api/v2/hostgroups').expect(200)).body as { total: number }).total;
    expect(total).toBe(2);
    await s.as('inScope').get(`/api/v2/hostgroups/${s.hostgroups.db}`).expect(404);
    await s.as('inScope').get('/api/v2/hostgroups/db').expect(404);
    await s.as('inScope').get(`/api/v2/hostgroups/${s.hostgroups.webEu}`).expect(200);
  });

  it('counts the hosts of each hostgroup that the user may see, in the list and on one hostgroup', async () => {
    const counts = async (persona: Persona) => Object.fromEntries(((await s.as(persona).get('/api/v2/hostgroups').expect(200)).body as { results: Array<{ title: string; hosts_count: number }> }).results.map((g) => [g.title, g.hosts_count]));
    // Own hosts only, not the descendants' (as the hosts link, hostgroup_title = web, lists them).
    expect(await counts('admin')).toEqual({ db: 2, web: 2, 'web/eu': 1 });
    expect(await counts('inScope')).toEqual({ web: 2, 'web/eu': 1 });
    // The manager sees OrgA only: one host of each group there.
    expect(await counts('manager')).toEqual({ db: 1, web: 1, 'web/eu': 1 });
    expect((await s.as('manager').get(`/api/v2/hostgroups/${s.hostgroups.web}`).expect(200)).body).toMatchObject({ title: 'web', hosts_count: 1 });
  });

  it('lists only the organizations and locations holding a host the user sees or named by its rules', async () => {
    expect(await names('manager', `/api/v2/organizations?search=${encodeURIComponent(s.prefix)}`)).toEqual([`${s.prefix}OrgA`]);
    expect(await names('admin', `/api/v2/organizations?search=${encodeURIComponent(s.prefix)}`)).toEqual([`${s.prefix}OrgA`, `${s.prefix}OrgB`]);
    expect(await names('inScope', `/api/v2/locations?search=${encodeURIComponent(s.prefix)}`)).toEqual([]);
    expect(await names('manager', `/api/v2/locations?search=${encodeURIComponent(s.prefix)}`)).toEqual([]);
    expect(await names('outOfScope', `/api/v2/locations?search=${encodeURIComponent(s.prefix)}`)).toEqual([`${s.prefix}DbRoom`]);
  });

  it('lists only the fact names of hosts the user sees', async () => {
    const search = encodeURIComponent(s.prefix.replace(/-$/, ''));
    expect(await names('inScope', `/api/v2/fact_names?search=${search}`)).toEqual([webFact()]);
    expect(await names('outOfScope', `/api/v2/fact_names?search=${search}`)).toEqual([dbFact()]);
    expect(await names('admin', `/api/v2/fact_names?search=${search}`)).toEqual([dbFact(), webFact()].sort());
  });

  it('completes hostgroups, organizations, locations and fact names only from what the user sees', async () => {
    expect(await completions('inScope', 'hostgroup_title = ')).toEqual(['web', 'web/eu']);
    expect(await completions('outOfScope', 'hostgroup = ')).toEqual(['db']);
    expect(await completions('manager', `organization = ${s.prefix}`)).toEqual([`${s.prefix}OrgA`]);
    expect(await completions('inScope', `location = ${s.prefix}`)).toEqual([]);
    expect(await completions('inScope', `facts.${s.prefix.replace(/-$/, '')}`)).toEqual([`facts.${webFact()}`]);
    expect(await completions('admin', `facts.${s.prefix.replace(/-$/, '')}`)).toEqual([`facts.${dbFact()}`, `facts.${webFact()}`].sort());
  });
});
