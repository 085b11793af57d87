import type { NodeReply } from '@proxy/broker/broker-client';
import { createPuppetRunRunner, runOutcome, withPuppetRunInputs } from '@proxy/actions/puppet-run.runner';
import { createDdlRegistry, loadDdlDirectory } from '@proxy/actions/ddl-registry';
import { validateArguments } from '@proxy/actions/validate-arguments';
import path from 'node:path';
import { silentLogger } from '@proxy/logger';
import { createFakeBroker, type FakeBroker } from '@test/fakes/fake-broker.client';

function setup() {
  const clock = { now: 1_000_000 };
  const broker = createFakeBroker({ mode: 'manual', now: () => clock.now });
  const runner = createPuppetRunRunner({
    broker,
    logger: silentLogger(),
    statusIntervalMs: 1000,
    now: () => clock.now,
    // Time passes only when the runner sleeps between polls.
    sleep: async (ms) => {
      clock.now += ms;
    },
  });
  const replies: NodeReply[] = [];
  const abort = new AbortController();
  const run = (identities: string[], action = 'runonce', data: Record<string, unknown> = { force: true }, timeoutSeconds = 60) =>
    runner.run({ executionId: 'e1', action, data, identities, collective: 'mcollective', callerid: 'choria=rex', timeoutSeconds, signal: abort.signal, onReply: (r) => replies.push(r) });
  return { broker, replies, run, abort, clock };
}

/** Answers call number `n` (1-based) for each identity once it has been made; the others stay silent. */
async function answer(broker: FakeBroker, n: number, replies: Record<string, Partial<NodeReply>>): Promise<void> {
  await broker.waitForCalls(n);
  for (const [identity, reply] of Object.entries(replies)) broker.reply(identity, reply);
  if (!broker.calls[n - 1].settled) broker.expire();
}

const idle = (lastrun: number) => ({ data: { enabled: true, applying: false, lastrun, disable_message: '' } });
const applying = (lastrun: number) => ({ data: { enabled: true, applying: true, lastrun, disable_message: '' } });
const summary = (fields: Record<string, unknown>) => ({
  data: { changed_resources: 2, failed_resources: 0, out_of_sync_resources: 2, corrected_resources: 0, total_resources: 300, total_time: 12, config_version: 'abc', lastrun: 1100, summary: { environment: 'production', events: { noop: 0 } }, ...fields },
});

describe(createPuppetRunRunner.name, () => {
  it('reports the summary of the run that ended after the request, not the run before it', async () => {
    const { broker, replies, run } = setup();
    const done = run(['a']);
    await answer(broker, 1, { a: idle(900) });
    await answer(broker, 2, { a: { data: { summary: 'Started a Puppet run', initiated_at: 1000 } } });
    // Still showing the previous run: not finished.
    await answer(broker, 3, { a: idle(900) });
    await answer(broker, 4, { a: applying(900) });
    await answer(broker, 5, { a: idle(1100) });
    await answer(broker, 6, { a: summary({ lastrun: 1100 }) });
    const result = await done;
    expect(broker.calls.map((c) => c.call.request.action)).toEqual(['status', 'runonce', 'status', 'status', 'status', 'last_run_summary']);
    expect(broker.calls[1].call.request.data).toEqual({ force: true });
    expect(broker.calls[5].call.request.data).toEqual({ logs: true });
    expect(replies).toEqual([
      expect.objectContaining({
        identity: 'a',
        statuscode: 0,
        data: {
          summary: 'Started a Puppet run',
          initiated_at: 1000,
          run: { outcome: 'changed', changed_resources: 2, failed_resources: 0, out_of_sync_resources: 2, corrected_resources: 0, total_resources: 300, run_time: 12, config_version: 'abc', environment: 'production', noop: false, last_run: 1100, failed_resource_titles: [], changed_resource_titles: [] },
        },
      }),
    ]);
    expect(result.silentReasons?.size).toBe(0);
  });

  it('ends a run when the agent applies the next one already (another job\'s), with its own summary', async () => {
    const { broker, replies, run } = setup();
    const done = run(['a']);
    await answer(broker, 1, { a: idle(900) });
    await answer(broker, 2, { a: { data: { summary: 'ok', initiated_at: 1000 } } });
    await answer(broker, 3, { a: applying(900) });
    // Its run ended at 1010 and another began before this poll: it is not waited for.
    await answer(broker, 4, { a: applying(1010) });
    await answer(broker, 5, { a: summary({ lastrun: 1010 }) });
    await done;
    expect(broker.calls.map((c) => c.call.request.action)).toEqual(['status', 'runonce', 'status', 'status', 'last_run_summary']);
    expect(replies).toEqual([expect.objectContaining({ identity: 'a', statuscode: 0, data: expect.objectContaining({ run: expect.objectContaining({ last_run: 1010 }) }) })]);
  });

  it('fails a run with failed resources and names how many', async () => {
    const { broker, replies, run } = setup();
    const done = run(['a']);
    await answer(broker, 1, { a: idle(900) });
    await answer(broker, 2, { a: { data: { summary: 'ok', initiated_at: 1000 } } });
    await answer(broker, 3, { a: idle(1010) });
    await answer(broker, 4, { a: summary({ failed_resources: 3 }) });
    await done;
    expect(replies[0]).toMatchObject({ statuscode: 1, statusmsg: 'puppet run failed: 3 failed resources', data: { run: { outcome: 'failed', failed_resources: 3 } } });
  });

  it('does not ask a disabled or busy agent to run, and says which', async () => {
    const { broker, replies, run } = setup();
    const done = run(['off', 'busy']);
    await answer(broker, 1, { off: { data: { enabled: false, applying: false, lastrun: 1, disable_message: 'maintenance' } }, busy: applying(1) });
    await done;
    expect(broker.calls).toHaveLength(1);
    expect(replies.map((r) => [r.identity, r.statuscode, r.statusmsg])).toEqual([
      ['off', 1, 'puppet agent disabled: maintenance'],
      ['busy', 1, 'puppet agent already applying a catalog: not started'],
    ]);
  });

  it('leaves a host whose run never started silent with the reason when the time is up', async () => {
    const { broker, replies, run } = setup();
    const done = run(['a', 'b'], 'runonce', { force: true }, 3);
    await answer(broker, 1, { a: idle(900), b: idle(900) });
    await answer(broker, 2, { a: { data: { initiated_at: 1000 } }, b: { data: { initiated_at: 1000 } } });
    for (let n = 3; n <= 5; n++) await answer(broker, n, { a: idle(900), b: applying(900) });
    const result = await done;
    expect(replies).toEqual([]);
    expect(Object.fromEntries(result.silentReasons ?? [])).toEqual({
      a: 'puppet run never finished: no run started after the request within the 3 s timeout',
      b: 'puppet run never finished: still applying when the 3 s timeout passed',
    });
  });

  it('with if_running wait, starts a busy host\'s run once the run it was applying has ended, and never sends if_running', async () => {
    const { broker, replies, run } = setup();
    const done = run(['idle', 'busy'], 'runonce', { force: true, if_running: 'wait' });
    await answer(broker, 1, { idle: idle(900), busy: applying(900) });
    // Only the idle host is asked to run at once.
    await answer(broker, 2, { idle: { data: { summary: 'ok', initiated_at: 1000 } } });
    expect(broker.calls[1].call.identities).toEqual(['idle']);
    expect(broker.calls[1].call.request.data).toEqual({ force: true });
    // One poll for both: the idle host's run is over, the busy one still applies its earlier run.
    await answer(broker, 3, { idle: idle(1005), busy: applying(900) });
    expect(broker.calls[2].call.identities.sort()).toEqual(['busy', 'idle']);
    await answer(broker, 4, { idle: summary({ lastrun: 1005 }) });
    // The earlier run ends (lastrun 1002): now the busy host is asked to run, with the same data.
    await answer(broker, 5, { busy: idle(1002) });
    await answer(broker, 6, { busy: { data: { summary: 'ok', initiated_at: 1003 } } });
    expect(broker.calls[5].call).toMatchObject({ identities: ['busy'], request: { action: 'runonce', data: { force: true } } });
    // Its own run is followed as any other: lastrun 1002 was the run it waited for, not its own.
    await answer(broker, 7, { busy: idle(1002) });
    await answer(broker, 8, { busy: idle(1010) });
    await answer(broker, 9, { busy: summary({ lastrun: 1010, changed_resources: 0, out_of_sync_resources: 0 }) });
    const result = await done;
    expect(broker.calls.map((c) => c.call.request.action)).toEqual(['status', 'runonce', 'status', 'last_run_summary', 'status', 'runonce', 'status', 'status', 'last_run_summary']);
    expect(replies.map((r) => [r.identity, r.statuscode, (r.data.run as { outcome: string; last_run: number }).outcome, (r.data.run as { last_run: number }).last_run])).toEqual([
      ['idle', 0, 'changed', 1005],
      ['busy', 0, 'unchanged', 1010],
    ]);
    expect(result.silentReasons?.size).toBe(0);
  });

  it('with if_running wait, fails a host still applying the earlier run when the time is up, not started', async () => {
    const { broker, replies, run } = setup();
    const done = run(['busy'], 'runonce', { force: true, if_running: 'wait' }, 3);
    await answer(broker, 1, { busy: applying(900) });
    for (let n = 2; n <= 4; n++) await answer(broker, n, { busy: applying(900) });
    const result = await done;
    expect(broker.calls.map((c) => c.call.request.action)).toEqual(['status', 'status', 'status', 'status']);
    expect(replies).toEqual([expect.objectContaining({ identity: 'busy', statuscode: 1, statusmsg: 'puppet agent still applying a run begun before the request when the 3 s timeout passed: not started', data: expect.objectContaining({ outcome: 'already_applying' }) })]);
    expect(result.silentReasons?.size).toBe(0);
  });

  it('with if_running wait, fails a host disabled while it waited with the disable message', async () => {
    const { broker, replies, run } = setup();
    const done = run(['busy'], 'runonce', { if_running: 'wait' });
    await answer(broker, 1, { busy: applying(900) });
    await answer(broker, 2, { busy: { data: { enabled: false, applying: false, lastrun: 950, disable_message: 'hands off' } } });
    await done;
    expect(broker.calls.map((c) => c.call.request.action)).toEqual(['status', 'status']);
    expect(replies.map((r) => [r.identity, r.statuscode, r.statusmsg])).toEqual([['busy', 1, 'puppet agent disabled: hands off']]);
  });

  it('with if_running wait, leaves a waiting host silent with the reason when the job is cancelled, never asking it to run', async () => {
    const { broker, replies, run, abort } = setup();
    const done = run(['busy'], 'runonce', { if_running: 'wait' });
    await answer(broker, 1, { busy: applying(900) });
    await answer(broker, 2, { busy: applying(900) });
    abort.abort();
    const result = await done;
    expect(broker.calls.map((c) => c.call.request.action)).not.toContain('runonce');
    expect(replies).toEqual([]);
    expect(Object.fromEntries(result.silentReasons ?? [])).toEqual({ busy: 'puppet agent was applying a run begun before the request; cancelled before one was started' });
  });

  it('with if_running skip (the default\'s behaviour), fails a busy host without waiting', async () => {
    const { broker, replies, run } = setup();
    const done = run(['busy'], 'runonce', { if_running: 'skip' });
    await answer(broker, 1, { busy: applying(900) });
    await done;
    expect(broker.calls).toHaveLength(1);
    expect(replies.map((r) => r.statusmsg)).toEqual(['puppet agent already applying a catalog: not started']);
  });

  it('sends any other puppet action as one request', async () => {
    const { broker, replies, run } = setup();
    const done = run(['a'], 'status', {});
    await answer(broker, 1, { a: idle(5) });
    await done;
    expect(broker.calls.map((c) => c.call.request.action)).toEqual(['status']);
    expect(replies).toEqual([expect.objectContaining({ identity: 'a', data: idle(5).data })]);
  });
});

describe(runOutcome.name, () => {
  it('calls a noop run that found resources out of sync noop_pending', () => {
    expect(runOutcome({ changed_resources: 0, failed_resources: 0, out_of_sync_resources: 4, summary: { events: { noop: 4 } } }, true)).toMatchObject({ outcome: 'noop_pending', noop: true, environment: null });
  });

  it('names the failed and changed resources from the run\'s log', () => {
    const logs = [
      { level: 'notice', source: '/Stage[main]/Profile::Base/File[/etc/motd]/content', msg: 'content changed' },
      { level: 'notice', source: '/Stage[main]/Profile::Base/File[/etc/motd]/mode', msg: 'mode changed' },
      { level: 'err', source: '/Stage[main]/Profile::App/Service[app]', msg: 'Could not start' },
      { level: 'notice', source: '/Stage[main]/Profile::App/Service[app]/ensure', msg: 'ensure changed' },
      { level: 'notice', source: 'Puppet', msg: 'Applied catalog in 3 seconds' },
    ];
    expect(runOutcome({ failed_resources: 1, changed_resources: 1, logs }, false)).toMatchObject({ outcome: 'failed', failed_resource_titles: ['Service[app]'], changed_resource_titles: ['File[/etc/motd]'] });
  });

  it('calls a run that changed nothing unchanged', () => {
    expect(runOutcome({ changed_resources: 0, failed_resources: 0, out_of_sync_resources: 0 }, false).outcome).toBe('unchanged');
  });
});

describe(withPuppetRunInputs.name, () => {
  const shipped = loadDdlDirectory(path.resolve(__dirname, '../../../proxy-plugin/ddl')).agents;
  const registry = createDdlRegistry(shipped, { adapt: withPuppetRunInputs });

  it('adds if_running (skip or wait) to puppet#runonce only, validated as any input', () => {
    const puppet = registry.get('puppet')!;
    expect(puppet.actions.get('runonce')!.inputs.get('if_running')).toMatchObject({ type: 'list', optional: true, list: ['skip', 'wait'] });
    expect(puppet.actions.get('status')!.inputs.has('if_running')).toBe(false);
    expect(registry.get('service')).toBe(shipped.find((a) => a.metadata.name === 'service'));
    const runonce = { agent: puppet, action: puppet.actions.get('runonce')! };
    expect(validateArguments(runonce, { if_running: 'wait' })).toMatchObject({ if_running: 'wait' });
    expect(() => validateArguments(runonce, { if_running: 'later' })).toThrow(expect.objectContaining({ details: { input: 'if_running', rule: expect.any(String) } }));
  });

  it('leaves the shipped DDL as it was when the registry adapts nothing', () => {
    expect(createDdlRegistry(shipped).get('puppet')!.actions.get('runonce')!.inputs.has('if_running')).toBe(false);
  });
});
