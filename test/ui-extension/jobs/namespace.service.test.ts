import type { AgentDdl__Output } from '@protos/generated/rex/proxy/v1/AgentDdl';
import { silentLogger } from '@server/logger';
import { AppError } from '@server/errors';
import { createNamespaceService } from '@server/namespaces/namespace.service';
import type { CurrentUser } from '@server/auth/current-user';

const admin: CurrentUser = { id: 1, login: 'admin', admin: true };

const agent = (name: string, actions: string[]): AgentDdl__Output => ({
  metadata: { name, description: `${name} agent`, author: '', license: '', version: '1.0', url: '', timeout: 20, provider: '', service: false },
  actions: actions.map((a) => ({ name: a, description: '', display: 'failed', inputs: [], outputs: [], aggregates: [] })),
  source: 'ddl_directory',
});

function setup(options: { visibleProxyIds?: number[] } = {}) {
  let now = 0;
  const calls: string[] = [];
  const proxies = [
    { id: 1, name: 'a', url: 'grpc://a', capabilities: ['remote_execution'] },
    { id: 2, name: 'b', url: 'grpc://b', capabilities: ['remote_execution'] },
    { id: 3, name: 'c', url: 'grpc://c', capabilities: ['puppet'] },
    { id: 4, name: 'down', url: 'grpc://down', capabilities: ['remote_execution'] },
  ];
  const service = createNamespaceService({
    smartProxies: { list: async () => proxies, listIn: async () => proxies.filter((p) => options.visibleProxyIds?.includes(p.id)) },
    proxies: {
      listAgents: async (url) => {
        calls.push(url);
        if (url === 'grpc://down') throw new AppError('UNAVAILABLE', 'smart proxy grpc://down: connection refused');
        return url === 'grpc://a' ? [agent('service', ['status', 'restart']), agent('rpcutil', ['ping'])] : [agent('service', ['status'])];
      },
    },
    clock: () => new Date(now),
    logger: silentLogger(),
    ttlMs: 1000,
  });
  return { service, calls, advance: (ms: number) => { now += ms; } };
}

describe(createNamespaceService.name, () => {
  it('merges agents of the capable proxies and leaves out unreachable ones', async () => {
    const { service, calls } = setup();
    const list = await service.list(admin);
    expect(list.map((n) => [n.name, n.smart_proxy_ids])).toEqual([['rpcutil', [1]], ['service', [1, 2]]]);
    expect(calls).not.toContain('grpc://c');
  });

  it('reuses the agent lists when asked again within the cache time', async () => {
    const { service, calls, advance } = setup();
    await service.list(admin);
    advance(999);
    await service.list(admin);
    expect(calls.filter((u) => u === 'grpc://a')).toHaveLength(1);
    advance(1);
    await service.list(admin);
    expect(calls.filter((u) => u === 'grpc://a')).toHaveLength(2);
  });

  it('lists one proxy only when a smart_proxy_id is given', async () => {
    const { service } = setup();
    expect((await service.list(admin, { smartProxyId: 2 })).map((n) => n.name)).toEqual(['service']);
  });

  it('lists only the namespaces and actions a user may run when their create_jobs filter names them', async () => {
    const { service } = setup();
    const operator: CurrentUser = { id: 2, login: 'op', admin: false, rules: [{ permission: 'create_jobs', namespaces: ['service'], actions: ['status'] }] };
    const list = await service.list(operator);
    expect(list.map((n) => [n.name, n.actions.map((a) => a.name)])).toEqual([['service', ['status']]]);
  });

  it('refuses a user without create_jobs with PERMISSION_DENIED naming the permission', async () => {
    const { service } = setup();
    await expect(service.list({ id: 3, login: 'viewer', admin: false, rules: [{ permission: 'view_jobs' }] })).rejects.toMatchObject({ code: 'PERMISSION_DENIED', message: expect.stringContaining('create_jobs') });
  });

  it('rejects an unknown action with 422 naming the input', async () => {
    const { service } = setup();
    await expect(service.findAction('service', 'explode')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', httpStatus: 422, details: { input: 'action', rule: 'known action' } });
  });

  it('finds an action with the agent timeout', async () => {
    const { service } = setup();
    await expect(service.findAction('service', 'restart')).resolves.toMatchObject({ namespace: 'service', action: { name: 'restart' }, timeout: 20 });
  });

  it('names, when no proxy knows a namespace, each smart proxy and what it lacks: the capability, the agent, or an answer', async () => {
    const { service } = setup();
    const refused = service.findAction('puppet', 'runonce');
    await expect(refused).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', httpStatus: 422, details: { input: 'namespace', rule: 'known namespace' } });
    await expect(refused).rejects.toThrow("namespace 'puppet' is not known to any reachable smart proxy: "
      + "smart proxy a lacks the agent 'puppet' (it has service, rpcutil); "
      + "smart proxy b lacks the agent 'puppet' (it has service); "
      + 'smart proxy c lacks the remote_execution capability (it has puppet; refresh it to read them from the proxy: POST /api/v2/smart_proxies/3/refresh); '
      + 'smart proxy down lacks an answer (smart proxy grpc://down: connection refused)');
    expect(((await refused.catch((e: AppError) => e)) as AppError).details?.smart_proxies).toEqual([
      { id: 1, name: 'a', lacks: "the agent 'puppet' (it has service, rpcutil)" },
      { id: 2, name: 'b', lacks: "the agent 'puppet' (it has service)" },
      { id: 3, name: 'c', lacks: 'the remote_execution capability (it has puppet; refresh it to read them from the proxy: POST /api/v2/smart_proxies/3/refresh)' },
      { id: 4, name: 'down', lacks: 'an answer (smart proxy grpc://down: connection refused)' },
    ]);
  });

  it('names only the smart proxies the caller may see and counts the others', async () => {
    const { service } = setup({ visibleProxyIds: [3] });
    const operator: CurrentUser = { id: 2, login: 'op', admin: false, rules: [{ permission: 'view_smart_proxies', hostgroupIds: [5] }, { permission: 'create_jobs' }] };
    await expect(service.findAction('puppet', 'runonce', operator)).rejects.toThrow(
      "namespace 'puppet' is not known to any reachable smart proxy: smart proxy c lacks the remote_execution capability (it has puppet; refresh it to read them from the proxy: POST /api/v2/smart_proxies/3/refresh); 3 smart proxies you may not see",
    );
  });
});
