import type { NodeReply } from '@proxy/broker/broker-client';
import { silentLogger } from '@proxy/logger';
import type { TaskCatalog } from '@proxy/tasks/task-catalog';
import { createTaskRunner } from '@proxy/tasks/task-runner';
import { createFakeBroker, type FakeBroker } from '@test/fakes/fake-broker.client';
import { aTaskDetails, aTaskFile } from '@test/fixtures/puppet-task';

const TASK = aTaskDetails({ name: 'mod::task', metadata: { input_method: 'stdin', supports_noop: true, parameters: { message: { type: 'String' } } }, files: [aTaskFile('task.sh')] });

function catalog(task = TASK): TaskCatalog {
  return { environment: 'production', refreshIfStale: async () => undefined, refreshNow: async () => undefined, ensureTask: async () => undefined, details: async () => task, loadedAt: () => 1 };
}

function setup(task = TASK) {
  const clock = { now: 0 };
  const broker = createFakeBroker({ mode: 'manual', now: () => clock.now });
  const sleeps: number[] = [];
  const runner = createTaskRunner({
    broker,
    catalog: catalog(task),
    logger: silentLogger(),
    statusIntervalMs: 500,
    now: () => clock.now,
    // Time passes only when the runner sleeps between polls.
    sleep: async (ms) => {
      sleeps.push(ms);
      clock.now += ms;
    },
  });
  const replies: NodeReply[] = [];
  const abort = new AbortController();
  const run = (identities: string[], data: Record<string, unknown> = { message: 'hi' }, timeoutSeconds = 60) =>
    runner.run({ executionId: 'e1', action: 'mod::task', data, identities, collective: 'mcollective', callerid: 'choria=rex', timeoutSeconds, signal: abort.signal, onReply: (r) => replies.push(r) });
  return { broker, replies, run, sleeps, abort, clock };
}

/** Answers call number `n` (1-based) for each identity once it has been made. */
async function answer(broker: FakeBroker, n: number, replies: Record<string, Partial<NodeReply>>): Promise<void> {
  await broker.waitForCalls(n);
  for (const [identity, reply] of Object.entries(replies)) broker.reply(identity, reply);
  const call = broker.calls[n - 1];
  if (!call.settled) broker.expire();
}

const completed = (stdout: unknown, exitcode = 0) => ({ statuscode: exitcode === 0 ? 0 : 1, statusmsg: exitcode === 0 ? 'OK' : 'Task failed', data: { completed: true, exitcode, stdout: JSON.stringify(stdout), stderr: '', runtime: 1.2, start_time: 100 } });

describe(createTaskRunner.name, () => {
  it('downloads, starts and polls until each node reports completion, then reports the parsed result', async () => {
    const { broker, replies, run } = setup();
    const done = run(['a', 'b']);
    await answer(broker, 1, { a: { data: { downloads: 1 } }, b: { data: { downloads: 0 } } });
    await answer(broker, 2, { a: { data: { task_id: 'f'.repeat(32) } }, b: { data: { task_id: 'f'.repeat(32) } } });
    await answer(broker, 3, { a: completed({ ok: 1 }), b: { data: { completed: false } } });
    await answer(broker, 4, { b: completed({ ok: 2 }) });
    await expect(done).resolves.toEqual({ requestIds: [broker.calls[0].requestId, broker.calls[1].requestId] });

    const [download, start, status] = broker.calls.map((c) => c.call.request);
    expect(download).toMatchObject({ agent: 'bolt_tasks', action: 'download', data: { task: 'mod::task', environment: 'production', files: JSON.stringify(TASK.files) } });
    expect(start).toMatchObject({ action: 'run_no_wait', data: { task: 'mod::task', input: '{"message":"hi"}', input_method: 'stdin' } });
    expect(status).toMatchObject({ action: 'task_status', data: { task_id: 'f'.repeat(32) } });
    expect(broker.calls[3].call.identities).toEqual(['b']);
    expect(replies.map((r) => [r.identity, r.statuscode, r.data.result])).toEqual([['a', 0, { ok: 1 }], ['b', 0, { ok: 2 }]]);
  });

  it('reports a node whose download failed without starting the task there', async () => {
    const { broker, replies, run } = setup();
    const done = run(['a', 'b']);
    await answer(broker, 1, { a: { statuscode: 1, statusmsg: 'Could not download task mod::task: task.sh has sha256 x, the specification says y' }, b: {} });
    await answer(broker, 2, { b: { data: { task_id: 'f'.repeat(32) } } });
    await answer(broker, 3, { b: completed({}) });
    await done;
    expect(broker.calls[1].call.identities).toEqual(['b']);
    expect(replies[0]).toMatchObject({ identity: 'a', statuscode: 1, data: { _error: { kind: 'choria.tasks/download-failed' } } });
  });

  it('passes _noop only when it is true', async () => {
    const { broker, run } = setup();
    const done = run(['a'], { message: 'x', _noop: false });
    await answer(broker, 1, { a: {} });
    await answer(broker, 2, { a: { statuscode: 5, statusmsg: 'cannot start' } });
    await done;
    expect(broker.calls[1].call.request.data.input).toBe('{"message":"x"}');
  });

  it('gives up polling when the timeout passes and leaves the node without a reply', async () => {
    const { broker, replies, run, sleeps } = setup();
    const done = run(['a'], { message: 'x' }, 2);
    await answer(broker, 1, { a: {} });
    await answer(broker, 2, { a: { data: { task_id: 'f'.repeat(32) } } });
    for (let n = 3; n <= 5; n++) await answer(broker, n, { a: { data: { completed: false } } });
    await done;
    expect(sleeps.reduce((a, b) => a + b, 0)).toBe(2000);
    expect(replies).toEqual([]);
  });

  it('fails every node without a request when the file specification is longer than bolt_tasks accepts', async () => {
    const many = aTaskDetails({ name: 'mod::task', metadata: { files: ['mod/files/'] }, files: [aTaskFile('task.sh'), ...Array.from({ length: 30 }, (_, i) => aTaskFile(`mod/files/data-${i}.txt`))] });
    const { broker, replies, run } = setup(many);
    await run(['a', 'b']);
    expect(broker.calls).toEqual([]);
    expect(replies.map((r) => [r.identity, r.statuscode, (r.data._error as { kind: string }).kind])).toEqual([['a', 4, 'rex.tasks/too-many-files'], ['b', 4, 'rex.tasks/too-many-files']]);
  });

  it('stops polling at once when the execution is cancelled', async () => {
    const { broker, run, abort } = setup();
    const done = run(['a']);
    await answer(broker, 1, { a: {} });
    await answer(broker, 2, { a: { data: { task_id: 'f'.repeat(32) } } });
    await broker.waitForCalls(3);
    abort.abort();
    await done;
    expect(broker.calls).toHaveLength(3);
  });
});
