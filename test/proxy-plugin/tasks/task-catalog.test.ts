import { createDdlRegistry } from '@proxy/actions/ddl-registry';
import { AppError } from '@proxy/errors';
import { silentLogger } from '@proxy/logger';
import { createTaskCatalog } from '@proxy/tasks/task-catalog';
import { createFakePuppetServer } from '@test/fakes/fake-puppet-server.client';
import { aTaskDetails } from '@test/fixtures/puppet-task';

function setup() {
  const clock = { now: 1_000_000 };
  const server = createFakePuppetServer([aTaskDetails({ name: 'mod::a' }), aTaskDetails({ name: 'mod::b' })]);
  const registry = createDdlRegistry([]);
  const catalog = createTaskCatalog({ server, registry, environment: 'production', ttlMs: 60_000, timeoutSeconds: 3600, logger: silentLogger(), now: () => clock.now });
  return { clock, server, registry, catalog };
}

describe(createTaskCatalog.name, () => {
  it('puts the tasks namespace with one action per task into the registry when first refreshed', async () => {
    const { catalog, registry, server } = setup();
    await catalog.refreshIfStale();
    expect([...registry.get('tasks')!.actions.keys()]).toEqual(['mod::a', 'mod::b']);
    expect(server.calls).toEqual(['list production', 'get mod::a', 'get mod::b']);
  });

  it('asks the Puppet Server again only when the TTL has passed', async () => {
    const { catalog, server, clock } = setup();
    await catalog.refreshIfStale();
    clock.now += 59_000;
    await catalog.refreshIfStale();
    expect(server.calls.filter((c) => c.startsWith('list'))).toHaveLength(1);
    clock.now += 1_000;
    await catalog.refreshIfStale();
    expect(server.calls.filter((c) => c.startsWith('list'))).toHaveLength(2);
  });

  it('keeps the last good copy when the Puppet Server is down', async () => {
    const { catalog, server, registry, clock } = setup();
    await catalog.refreshIfStale();
    server.down = true;
    clock.now += 120_000;
    await expect(catalog.refreshIfStale()).resolves.toBeUndefined();
    await expect(catalog.ensureTask('mod::a')).resolves.toBeUndefined();
    expect(registry.get('tasks')!.actions.has('mod::a')).toBe(true);
  });

  it('fails UNAVAILABLE for a task it never saw while the Puppet Server is down', async () => {
    const { catalog, server } = setup();
    server.down = true;
    await expect(catalog.ensureTask('mod::a')).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });

  it('refreshes for a task deployed after the last refresh, but not more than once per two seconds', async () => {
    const { catalog, server, registry, clock } = setup();
    await catalog.refreshIfStale();
    server.tasks.set('mod::new', aTaskDetails({ name: 'mod::new' }));
    await catalog.ensureTask('mod::typo');
    expect(server.calls.filter((c) => c.startsWith('list'))).toHaveLength(1);
    clock.now += 2_000;
    await catalog.ensureTask('mod::new');
    expect(registry.get('tasks')!.actions.has('mod::new')).toBe(true);
  });

  it('leaves out a task whose metadata the server refuses and keeps the others', async () => {
    const { catalog, server, registry } = setup();
    const original = server.getTask.bind(server);
    server.getTask = async (name, environment) => {
      if (name === 'mod::b') throw new AppError('FAILED_PRECONDITION', 'metadata is not valid JSON');
      return original(name, environment);
    };
    await catalog.refreshIfStale();
    expect([...registry.get('tasks')!.actions.keys()]).toEqual(['mod::a']);
  });
});
