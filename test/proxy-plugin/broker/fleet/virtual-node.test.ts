import { toWireFilter, type WireFilter } from '@proxy/broker/choria/protocol';
import { buildNodeProfiles } from '@proxy/broker/fleet/node-profiles';
import { createVirtualNode, type NodeRequest, type VirtualNode, type VirtualNodeOptions } from '@proxy/broker/fleet/virtual-node';
import type { RequestFilter } from '@proxy/broker/broker-client';

const NOW_MS = 1796083200_000;

function aNode(overrides: Partial<VirtualNodeOptions> = {}): VirtualNode {
  return createVirtualNode({
    identity: 'web1.example.net',
    facts: { os: { family: 'Debian', release: { major: '12' } }, osfamily: 'Debian', processorcount: 8, load: 0.75, virtual: false, role: 'web' },
    classes: ['roles::web', 'profile::nginx'],
    packages: { nginx: '1.22.1-9' },
    services: { nginx: true },
    now: () => NOW_MS,
    ...overrides,
  });
}

function aRequest(overrides: Partial<NodeRequest> & { mcorpc?: { action: string; data?: Record<string, unknown> } } = {}): NodeRequest {
  const { mcorpc, ...rest } = overrides;
  const agent = rest.agent ?? 'rpcutil';
  return {
    requestid: 'a'.repeat(32),
    callerid: 'choria=rex.mcollective',
    collective: 'mcollective',
    agent,
    ttl: 60,
    time: NOW_MS / 1000,
    filter: toWireFilter(),
    body: JSON.stringify({ agent, action: mcorpc?.action ?? 'ping', data: mcorpc?.data ?? {} }),
    ...rest,
  };
}

function call(node: VirtualNode, request: NodeRequest): { outcome: string; reply?: Record<string, unknown> | string } {
  let reply: string | undefined;
  const outcome = node.handle(request, (m) => {
    reply = m;
  });
  if (reply === undefined) return { outcome };
  return { outcome, reply: reply === 'pong' ? reply : (JSON.parse(reply) as Record<string, unknown>) };
}

function filterOf(partial: Partial<RequestFilter>): WireFilter {
  return toWireFilter(partial);
}

describe(createVirtualNode.name, () => {
  it('answers pong when discovery matches an empty filter', () => {
    expect(call(aNode(), aRequest({ agent: 'discovery', body: 'ping' }))).toEqual({ outcome: 'replied', reply: 'pong' });
  });

  it.each<[string, Partial<RequestFilter>, boolean]>([
    ['fact == case-insensitively', { fact: [{ fact: 'os.family', operator: '==', value: 'debian' }] }, true],
    ['fact != on a different value', { fact: [{ fact: 'osfamily', operator: '!=', value: 'RedHat' }] }, true],
    ['fact =~ regex', { fact: [{ fact: 'os.family', operator: '=~', value: '/^deb/' }] }, true],
    ['integer fact >=', { fact: [{ fact: 'processorcount', operator: '>=', value: '8' }] }, true],
    ['integer fact <', { fact: [{ fact: 'processorcount', operator: '<', value: '8' }] }, false],
    ['float fact <=', { fact: [{ fact: 'load', operator: '<=', value: '0.80' }] }, true],
    ['boolean fact ==', { fact: [{ fact: 'virtual', operator: '==', value: 'false' }] }, true],
    ['missing fact !=', { fact: [{ fact: 'nope', operator: '!=', value: 'x' }] }, false],
    ['class exact', { cf_class: ['roles::web'] }, true],
    ['class regex, case-insensitive', { cf_class: ['/^PROFILE::/'] }, true],
    ['class missing', { cf_class: ['roles::db'] }, false],
    ['identity exact among others (OR)', { identity: ['db1', 'web1.example.net'] }, true],
    ['identity regex', { identity: ['/^web\\d+\\./'] }, true],
    ['identity regex is case-sensitive', { identity: ['/^WEB/'] }, false],
    ['agent hosted', { agent: ['package'] }, true],
    ['agent not hosted', { agent: ['bolt_tasks'] }, false],
    ['compound with()', { compound: "with('roles::web') and with('os.family=Debian')" }, true],
    ['compound it cannot parse', { compound: 'facts.x > 3' }, false],
  ])('returns the right discovery outcome for %s', (_name, filter, matches) => {
    const { outcome } = call(aNode(), aRequest({ agent: 'discovery', body: 'ping', filter: filterOf(filter) }));
    expect(outcome).toBe(matches ? 'replied' : 'filtered');
  });

  it('drops a request whose time is outside the ttl window', () => {
    expect(call(aNode(), aRequest({ time: NOW_MS / 1000 - 61 })).outcome).toBe('expired');
  });

  it('drops a request for an agent it does not host', () => {
    expect(call(aNode({ agents: ['rpcutil'] }), aRequest({ agent: 'package', mcorpc: { action: 'status', data: { package: 'x' } } })).outcome).toBe(
      'unknown_agent',
    );
  });

  it('answers rpcutil ping with its clock in seconds', () => {
    expect(call(aNode(), aRequest()).reply).toEqual({ action: 'ping', statuscode: 0, statusmsg: 'OK', data: { pong: NOW_MS / 1000 } });
  });

  it('reports facts, classes and agents when asked for inventory', () => {
    const reply = call(aNode(), aRequest({ mcorpc: { action: 'inventory' } })).reply as { data: Record<string, unknown> };
    expect(reply.data).toMatchObject({
      agents: ['discovery', 'rpcutil', 'package', 'service', 'puppet'],
      classes: ['roles::web', 'profile::nginx'],
      collectives: ['mcollective'],
      main_collective: 'mcollective',
      facts: { osfamily: 'Debian' },
    });
  });

  it('returns nested fact values when asked by get_fact and get_facts', () => {
    expect((call(aNode(), aRequest({ mcorpc: { action: 'get_fact', data: { fact: 'os.family' } } })).reply as { data: unknown }).data).toEqual({
      fact: 'os.family',
      value: 'Debian',
    });
    expect((call(aNode(), aRequest({ mcorpc: { action: 'get_facts', data: { facts: 'osfamily, nope' } } })).reply as { data: unknown }).data).toEqual({
      values: { osfamily: 'Debian', nope: null },
    });
  });

  it('lists agent metadata when asked for agent_inventory', () => {
    const data = (call(aNode(), aRequest({ mcorpc: { action: 'agent_inventory' } })).reply as { data: { agents: Array<{ agent: string; timeout: number }> } }).data;
    expect(data.agents.map((a) => a.agent)).toEqual(['rpcutil', 'package', 'service', 'puppet']);
    expect(data.agents.find((a) => a.agent === 'package')?.timeout).toBe(180);
  });

  it('answers statuscode 2 when the action is unknown', () => {
    expect(call(aNode(), aRequest({ mcorpc: { action: 'explode' } })).reply).toMatchObject({
      statuscode: 2,
      statusmsg: 'Unknown action explode for agent rpcutil',
    });
  });

  it('answers statuscode 3 when a required input is missing', () => {
    expect(call(aNode(), aRequest({ agent: 'package', mcorpc: { action: 'status', data: {} } })).reply).toMatchObject({ statuscode: 3 });
  });

  it('answers statuscode 4 when an input fails shellsafe', () => {
    expect(call(aNode(), aRequest({ agent: 'package', mcorpc: { action: 'status', data: { package: 'nginx; rm -rf /' } } })).reply).toMatchObject({
      statuscode: 4,
      statusmsg: expect.stringContaining('shellsafe'),
    });
  });

  it('answers statuscode 4 when an input has the wrong type', () => {
    expect(call(aNode(), aRequest({ agent: 'puppet', mcorpc: { action: 'runonce', data: { noop: 'yes' } } })).reply).toMatchObject({ statuscode: 4 });
  });

  it('answers statuscode 4 when the body is not JSON', () => {
    expect(call(aNode(), aRequest({ body: '{not json' })).reply).toMatchObject({ statuscode: 4, statusmsg: expect.stringContaining('Could not process request') });
  });

  it('installs, reports and uninstalls a package in order', () => {
    const node = aNode();
    const pkg = (action: string): Record<string, unknown> =>
      (call(node, aRequest({ agent: 'package', mcorpc: { action, data: { package: 'htop' } } })).reply as { data: Record<string, unknown> }).data;
    expect(pkg('status').ensure).toBe('absent');
    const installed = pkg('install');
    expect(installed.ensure).toMatch(/^\d+\.\d+\.\d+-\d$/);
    expect(pkg('status').ensure).toBe(installed.ensure);
    expect(pkg('uninstall').ensure).toBe('absent');
    expect(pkg('purge').ensure).toBe('purged');
  });

  it('fills every declared output when the action sets only some', () => {
    const reply = call(aNode(), aRequest({ agent: 'package', mcorpc: { action: 'status', data: { package: 'nginx' } } })).reply as { data: Record<string, unknown> };
    expect(Object.keys(reply.data).sort()).toEqual(['arch', 'ensure', 'epoch', 'name', 'output', 'provider', 'release', 'version']);
    expect(reply.data).toMatchObject({ ensure: '1.22.1-9', provider: 'apt' });
  });

  it('stops and starts a service', () => {
    const node = aNode();
    const svc = (action: string): unknown => call(node, aRequest({ agent: 'service', mcorpc: { action, data: { service: 'nginx' } } })).reply;
    expect(svc('stop')).toMatchObject({ statuscode: 0, data: { status: 'stopped' } });
    expect(svc('status')).toMatchObject({ data: { status: 'stopped' } });
    expect(svc('start')).toMatchObject({ statuscode: 0, data: { status: 'running' } });
  });

  it('refuses runonce while puppet is disabled', () => {
    const node = aNode();
    const pp = (action: string, data: Record<string, unknown> = {}): unknown => call(node, aRequest({ agent: 'puppet', mcorpc: { action, data } })).reply;
    expect(pp('disable', { message: 'maintenance' })).toMatchObject({ statuscode: 0, data: { enabled: false } });
    expect(pp('status')).toMatchObject({ data: { enabled: false, disable_message: 'maintenance', status: 'disabled' } });
    expect(pp('runonce')).toMatchObject({ statuscode: 1, statusmsg: expect.stringContaining('maintenance') });
    expect(pp('enable')).toMatchObject({ statuscode: 0, data: { enabled: true } });
    expect(pp('runonce')).toMatchObject({ statuscode: 0, data: { initiated_at: NOW_MS / 1000 } });
  });

  it('shows a Puppet run as applying for its duration and refuses another runonce meanwhile', () => {
    const clock = { now: NOW_MS };
    const node = aNode({ now: () => clock.now, puppetRunSeconds: 30, services: { puppet: true } });
    const pp = (action: string, data: Record<string, unknown> = {}): unknown => call(node, aRequest({ agent: 'puppet', time: clock.now / 1000, mcorpc: { action, data } })).reply;
    expect(pp('runonce', { noop: true })).toMatchObject({ statuscode: 0, data: { summary: expect.stringContaining('--noop'), initiated_at: NOW_MS / 1000 } });
    expect(pp('status')).toMatchObject({ data: { applying: true, status: 'applying a catalog' } });
    expect(pp('runonce')).toMatchObject({ statuscode: 1, statusmsg: 'Puppet is currently applying a catalog, cannot run now' });
    clock.now += 30_000;
    expect(pp('status')).toMatchObject({ data: { applying: false, lastrun: NOW_MS / 1000 + 30 } });
    expect(pp('last_run_summary')).toMatchObject({ data: { changed_resources: 0, config_version: '1700000001', summary: { events: { failure: 0 } } } });
    expect(pp('runonce')).toMatchObject({ statuscode: 0, data: { summary: 'Signalled the running Puppet Daemon' } });
  });

  it('ends each zero-second Puppet run after the one before, as a run follower needs', () => {
    const node = aNode({ now: () => NOW_MS });
    const pp = (action: string): { data: Record<string, unknown> } => call(node, aRequest({ agent: 'puppet', time: NOW_MS / 1000, mcorpc: { action, data: {} } })).reply as { data: Record<string, unknown> };
    pp('runonce');
    const first = pp('status').data.lastrun as number;
    pp('runonce');
    expect(pp('status').data).toMatchObject({ applying: false, lastrun: first + 1 });
  });

  it('fails the runs it is told to fail, by seed, naming the failed resources in the log', () => {
    const profiles = buildNodeProfiles({ count: 200, identityPrefix: 'n', seed: 3 });
    const failed = profiles.map((p) => {
      const node = createVirtualNode({ ...p, seed: 3, puppetFailedRunRate: 0.25, now: () => NOW_MS });
      call(node, aRequest({ agent: 'puppet', time: NOW_MS / 1000, mcorpc: { action: 'runonce', data: {} } }));
      const summary = (call(node, aRequest({ agent: 'puppet', time: NOW_MS / 1000, mcorpc: { action: 'last_run_summary', data: { logs: true } } })).reply as { data: { failed_resources: number; logs: Array<{ level: string }> } }).data;
      expect(summary.logs.filter((l) => l.level === 'err')).toHaveLength(summary.failed_resources);
      return summary.failed_resources > 0;
    });
    expect(failed.filter(Boolean).length).toBeGreaterThan(25);
    expect(failed.filter(Boolean).length).toBeLessThan(75);
  });

  it('hands over one store report (v8) per run when the run ends, with the figures and end time its last_run_summary answers', () => {
    const clock = { now: NOW_MS };
    const reports: Array<Record<string, unknown>> = [];
    const node = aNode({ now: () => clock.now, puppetRunSeconds: 20, puppetFailedRunRate: 1, puppetReports: (r) => reports.push(r) });
    const pp = (action: string, data: Record<string, unknown> = {}) => (call(node, aRequest({ agent: 'puppet', time: clock.now / 1000, mcorpc: { action, data } })).reply as { data: Record<string, unknown> }).data;
    pp('runonce');
    clock.now += 10_000;
    pp('status');
    expect(reports).toEqual([]);
    clock.now += 10_000;
    const summary = pp('last_run_summary', { logs: true }) as { lastrun: number; config_version: string; changed_resources: number; failed_resources: number; out_of_sync_resources: number; total_resources: number; total_time: number; logs: Array<{ source: string; msg: string; level: string }> };
    expect(reports).toHaveLength(1);
    const report = reports[0] as { certname: string; end_time: string; start_time: string; configuration_version: string; status: string; noop: boolean; noop_pending: boolean; metrics: Array<{ category: string; name: string; value: number }>; resources: Array<{ resource_type: string; resource_title: string; events: Array<{ status: string }> }>; logs: Array<{ source: string; message: string; level: string }> };
    const metric = (category: string, name: string) => report.metrics.find((m) => m.category === category && m.name === name)?.value;
    expect(report).toMatchObject({ certname: node.identity, configuration_version: summary.config_version, status: 'failed', noop: false, noop_pending: false, end_time: new Date(summary.lastrun * 1000).toISOString(), start_time: new Date((summary.lastrun - 20) * 1000).toISOString() });
    expect([metric('resources', 'changed'), metric('resources', 'failed'), metric('resources', 'out_of_sync'), metric('resources', 'total'), metric('time', 'total')])
      .toEqual([summary.changed_resources, summary.failed_resources, summary.out_of_sync_resources, summary.total_resources, summary.total_time]);
    expect(summary.failed_resources).toBeGreaterThan(0);
    expect(report.resources.filter((r) => r.events[0].status === 'failure')).toHaveLength(summary.failed_resources);
    expect(report.resources.filter((r) => r.events[0].status === 'success')).toHaveLength(summary.changed_resources);
    expect(report.logs.map((l) => [l.source, l.message, l.level])).toEqual(summary.logs.map((l) => [l.source, l.msg, l.level]));
    // Asking again reports nothing new: one report per run.
    pp('status');
    expect(reports).toHaveLength(1);
  });

  it('reports a noop run as noop, with noop events for what was out of sync', () => {
    const reports: Array<{ noop: boolean; noop_pending: boolean; status: string; resources: Array<{ events: Array<{ status: string }> }> }> = [];
    const node = aNode({ puppetReports: (r) => reports.push(r as (typeof reports)[number]) });
    const summary = (() => {
      call(node, aRequest({ agent: 'puppet', mcorpc: { action: 'runonce', data: { noop: true } } }));
      return (call(node, aRequest({ agent: 'puppet', mcorpc: { action: 'last_run_summary', data: {} } })).reply as { data: { out_of_sync_resources: number } }).data;
    })();
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({ noop: true, status: 'unchanged', noop_pending: summary.out_of_sync_resources > 0 });
    expect(reports[0].resources.map((r) => r.events[0].status)).toEqual(Array(summary.out_of_sync_resources).fill('noop'));
  });

  it('hosts bolt_tasks only when the node is given a Puppet Server', () => {
    expect(aNode().agents).not.toContain('bolt_tasks');
    expect(aNode({ tasks: { fetch: async () => Buffer.alloc(0), directory: '/nonexistent' } }).agents).toContain('bolt_tasks');
  });

  it('never answers when silent', () => {
    expect(call(aNode({ silent: true }), aRequest())).toEqual({ outcome: 'silent' });
  });

  it('fails the same share of nodes with statuscode 1 or 5 when given a failure rate and seed', () => {
    const profiles = buildNodeProfiles({ count: 1000, identityPrefix: 'n', seed: 7 });
    const run = (): number[] =>
      profiles.map((p) => {
        const node = createVirtualNode({ ...p, failureRate: 0.2, seed: 7, now: () => NOW_MS });
        return (call(node, aRequest({ agent: 'service', mcorpc: { action: 'status', data: { service: 'sshd' } } })).reply as { statuscode: number }).statuscode;
      });
    const first = run();
    expect(run()).toEqual(first);
    const failed = first.filter((c) => c !== 0);
    expect(new Set(failed)).toEqual(new Set([1, 5]));
    expect(failed.length).toBeGreaterThan(150);
    expect(failed.length).toBeLessThan(250);
  });

  it('keeps rpcutil truthful on failing nodes', () => {
    expect(call(aNode({ failureRate: 1 }), aRequest()).reply).toMatchObject({ statuscode: 0 });
  });

  it('answers after the configured latency', () => {
    jest.useFakeTimers();
    try {
      const replies: string[] = [];
      aNode({ latencyMs: 50 }).handle(aRequest(), (m) => replies.push(m));
      jest.advanceTimersByTime(49);
      expect(replies).toHaveLength(0);
      jest.advanceTimersByTime(1);
      expect(replies).toHaveLength(1);
    } finally {
      jest.useRealTimers();
    }
  });
});
