/**
 * Arguments from history (issue #19): the distinct arguments of a namespace/action, newest run
 * first, searchable, from the jobs the caller may see. Against the real app of the auth stack.
 */
import type { ArgumentHistoryEntry } from '@common/argument-history';
import type { Job } from '@common/jobs';
import { testDatabases } from '@test/support/databases';
import { startAuthStack, type AuthStack, type Persona } from '../auth/support/auth-stack';

jest.setTimeout(180_000);

interface Page { total: number; subtotal: number; results: ArgumentHistoryEntry[] }

describe.each(testDatabases())('argument history on $kind', (database) => {
  let s: AuthStack;

  const history = async (persona: Persona, query: string) => (await s.as(persona).get(`/api/v2/remote_execution/argument_history?${query}`).expect(200)).body as Page;
  const run = async (persona: Persona, args: Record<string, unknown>, hostId: number) => {
    const job = (await s.as(persona).post('/api/v2/remote_execution/jobs', { job: { namespace: 'package', action: 'status', arguments: args, targeting: { host_ids: [hostId] }, timeout: 5 } }).expect(201)).body as Job;
    await s.waitFinal(job.id);
    return job;
  };

  beforeAll(async () => {
    s = await startAuthStack(database);
  });

  afterAll(async () => {
    await s?.close();
  });

  it('lists each set of arguments once, newest run first, with its run count and newest job', async () => {
    const older = `${s.prefix}older`;
    const newer = `${s.prefix}newer`;
    await run('admin', { package: older }, s.hosts.webA.id);
    await run('admin', { package: newer }, s.hosts.webA.id);
    const last = await run('admin', { package: older }, s.hosts.webA.id);
    const page = await history('admin', `namespace=package&action=status&search=${encodeURIComponent(`arguments ~ ${s.prefix}`)}`);
    const mine = page.results.filter((r) => String(r.arguments.package).startsWith(s.prefix) && r.arguments.package !== s.secretPackage);
    expect(mine.map((r) => r.arguments.package)).toEqual([older, newer]);
    expect(mine[0]).toMatchObject({ run_count: 2, last_job_id: last.id, masked: [] });
    expect(mine[1].run_count).toBe(1);
  });

  it('narrows by a search and answers 400 naming an unknown field', async () => {
    const page = await history('admin', `namespace=package&action=status&search=${encodeURIComponent(`arguments ~ ${s.prefix}newer`)}`);
    expect(page.results.map((r) => r.arguments.package)).toEqual([`${s.prefix}newer`]);
    expect(page.subtotal).toBe(1);
    expect(page.total).toBeGreaterThan(1);
    const bad = await s.as('admin').get('/api/v2/remote_execution/argument_history?namespace=package&action=status&search=colour%20%3D%20red').expect(400);
    expect((bad.body as { error: { message: string } }).error.message).toContain("unknown field 'colour'");
  });

  it('leaves out the arguments of jobs outside the caller\'s scope', async () => {
    const admin = await history('admin', 'namespace=package&action=status&per_page=1000');
    expect(admin.results.map((r) => r.arguments.package)).toContain(s.secretPackage);
    const inScope = await history('inScope', 'namespace=package&action=status&per_page=1000');
    expect(inScope.results.length).toBeGreaterThan(0);
    expect(JSON.stringify(inScope.results)).not.toContain(s.secretPackage);
  });

  it('answers 400 naming namespace when it is missing, and an empty list for an action never run', async () => {
    const bad = await s.as('admin').get('/api/v2/remote_execution/argument_history?action=status').expect(400);
    expect((bad.body as { error: { message: string } }).error.message).toContain('namespace');
    expect(await history('admin', 'namespace=package&action=never_run')).toMatchObject({ total: 0, subtotal: 0, results: [] });
  });
});
