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

  it('keeps the last good copy of the list when the Puppet Server is down', async () => {
    const { catalog, server, registry, clock } = setup();
    await catalog.refreshIfStale();
    server.down = true;
    clock.now += 120_000;
    await expect(catalog.refreshIfStale()).resolves.toBeUndefined();
    expect(registry.get('tasks')!.actions.has('mod::a')).toBe(true);
  });

  it('refuses a run UNAVAILABLE, saying why, when the Puppet Server is down, even with the task cached', async () => {
    const { catalog, server } = setup();
    await catalog.refreshIfStale();
    server.down = true;
    await expect(catalog.ensureTask('mod::a')).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      message: expect.stringMatching(/^task mod::a was not run: its current files could not be read \(Puppet Server .* cannot be reached\); the cached copy is not run/),
    });
  });

  it('fails UNAVAILABLE for a task it never saw while the Puppet Server is down', async () => {
    const { catalog, server } = setup();
    server.down = true;
    await expect(catalog.ensureTask('mod::a')).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });

  it('runs with the sha256 and parameters the server serves now when a task changed within the TTL', async () => {
    const { catalog, server, registry } = setup();
    await catalog.refreshIfStale();
    const changed = aTaskDetails({ name: 'mod::a', metadata: { parameters: { added: { type: 'Integer' } } }, files: [{ ...server.tasks.get('mod::a')!.files[0], sha256: 'f'.repeat(64) }] });
    server.tasks.set('mod::a', changed);
    await catalog.ensureTask('mod::a');
    expect((await catalog.details('mod::a')).files[0].sha256).toBe('f'.repeat(64));
    expect([...registry.get('tasks')!.actions.get('mod::a')!.inputs.keys()]).toContain('added');
    expect(server.calls.filter((c) => c === 'get mod::a')).toHaveLength(2);
  });

  it('knows a task deployed after the last refresh when it is run', async () => {
    const { catalog, server, registry } = setup();
    await catalog.refreshIfStale();
    server.tasks.set('mod::new', aTaskDetails({ name: 'mod::new' }));
    await catalog.ensureTask('mod::new');
    expect(registry.get('tasks')!.actions.has('mod::new')).toBe(true);
  });

  it('drops a task the server no longer has when it is run, leaving the refusal to the registry lookup', async () => {
    const { catalog, server, registry } = setup();
    await catalog.refreshIfStale();
    server.tasks.delete('mod::b');
    await expect(catalog.ensureTask('mod::b')).resolves.toBeUndefined();
    expect(registry.get('tasks')!.actions.has('mod::b')).toBe(false);
  });

  it('reads the list again at once when a proxy refresh asks, whatever the TTL', async () => {
    const { catalog, server, registry } = setup();
    await catalog.refreshIfStale();
    server.tasks.set('mod::c', aTaskDetails({ name: 'mod::c' }));
    await catalog.refreshNow();
    expect(server.calls.filter((c) => c.startsWith('list'))).toHaveLength(2);
    expect(registry.get('tasks')!.actions.has('mod::c')).toBe(true);
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
