import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { boltTasksAgent, type NodeTasks } from '@proxy/broker/fleet/agents/bolt-tasks.agent';
import type { ActionResult, NodeState } from '@proxy/broker/fleet/agents/agent';

const SCRIPT = Buffer.from('#!/bin/sh\necho \'{"ok": true}\'\n');
const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const REQUEST = { requestid: 'a'.repeat(32), callerid: 'choria=rex.mcollective' };

const scratchDirs: string[] = [];
afterAll(() => {
  for (const dir of scratchDirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** A node whose Puppet Server is a map of paths to bodies (the real one is in test/puppet). */
function aNode(served: Record<string, Buffer>): { node: NodeState; tasks: NodeTasks; fetched: string[] } {
  const fetched: string[] = [];
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'rex-bolt-'));
  scratchDirs.push(directory);
  const tasks: NodeTasks = {
    directory,
    runs: new Map(),
    downloads: 0,
    fetch: async (pathAndQuery) => {
      fetched.push(pathAndQuery);
      const body = served[pathAndQuery.split('?')[0]];
      if (!body) throw new Error('HTTP 404: not found');
      return body;
    },
  };
  const node = { identity: 'n1', nowMs: () => 1_000, tasks } as unknown as NodeState;
  return { node, tasks, fetched };
}

function files(spec: Partial<{ sha256: string; size_bytes: number }> = {}): string {
  return JSON.stringify([{ filename: 'echo.sh', sha256: spec.sha256 ?? sha(SCRIPT), size_bytes: spec.size_bytes ?? SCRIPT.length, uri: { path: '/puppet/v3/file_content/tasks/mod/echo.sh', params: { environment: 'production' } } }]);
}

async function handle(node: NodeState, action: string, data: Record<string, unknown>, request = REQUEST): Promise<ActionResult> {
  return boltTasksAgent.handle(action, data, node, request);
}

describe('bolt_tasks agent of a virtual node', () => {
  it('downloads a file once, with the environment in the query, and caches it by sha256', async () => {
    const { node, tasks, fetched } = aNode({ '/puppet/v3/file_content/tasks/mod/echo.sh': SCRIPT });
    expect(await handle(node, 'download', { task: 'mod::echo', environment: 'production', files: files() })).toMatchObject({ statuscode: 0, data: { downloads: 1 } });
    expect(await handle(node, 'download', { task: 'mod::echo', environment: 'production', files: files() })).toMatchObject({ statuscode: 0, data: { downloads: 0 } });
    expect(fetched).toEqual(['/puppet/v3/file_content/tasks/mod/echo.sh?environment=production']);
    expect(fs.readFileSync(path.join(tasks.directory, 'cache', sha(SCRIPT)))).toEqual(SCRIPT);
  });

  it('refuses and caches nothing when the served file has another sha256 than the specification', async () => {
    const { node, tasks } = aNode({ '/puppet/v3/file_content/tasks/mod/echo.sh': Buffer.from('#!/bin/sh\nrm -rf /\n') });
    const expected = sha(Buffer.from('something else entirely'));
    const result = await handle(node, 'download', { task: 'mod::echo', files: files({ sha256: expected, size_bytes: 19 }) });
    expect(result.statuscode).toBe(1);
    expect(result.statusmsg).toContain(`the specification says ${expected}`);
    expect(fs.existsSync(path.join(tasks.directory, 'cache'))).toBe(false);
  });

  it('refuses a file whose size differs from the specification', async () => {
    const { node } = aNode({ '/puppet/v3/file_content/tasks/mod/echo.sh': SCRIPT });
    const result = await handle(node, 'download', { task: 'mod::echo', files: files({ size_bytes: SCRIPT.length + 1 }) });
    expect(result).toMatchObject({ statuscode: 1, statusmsg: expect.stringContaining(`has ${SCRIPT.length} bytes`) });
  });

  it('refuses to run a task whose files are not in the cache', async () => {
    const { node } = aNode({});
    const result = await handle(node, 'run_no_wait', { task: 'mod::echo', files: files(), input: '{}' });
    expect(result).toMatchObject({ statuscode: 5, data: { _error: { kind: 'choria/invalid_cache' } } });
  });

  it('refuses a file name that would leave the spool', async () => {
    const { node } = aNode({});
    const bad = JSON.stringify([{ filename: '../../etc/passwd', sha256: sha(SCRIPT), size_bytes: 1, uri: { path: '/x', params: {} } }]);
    expect(await handle(node, 'download', { task: 'mod::echo', files: bad })).toMatchObject({ statuscode: 4 });
  });

  it('answers statuscode 3 for a task id it never ran and 1 to another caller', async () => {
    const { node, tasks } = aNode({});
    expect(await handle(node, 'task_status', { task_id: 'b'.repeat(32) })).toMatchObject({ statuscode: 3 });
    tasks.runs.set('c'.repeat(32), { task: 'mod::echo', caller: 'choria=someone', startedAtMs: 0, stdout: '', stderr: '' });
    expect(await handle(node, 'task_status', { task_id: 'c'.repeat(32) })).toMatchObject({ statuscode: 1, statusmsg: expect.stringContaining('not authorized') });
  });

  it('reports a finished run as Choria does: stdout as a JSON string, the task error when the exit code is not 0', async () => {
    const { node, tasks } = aNode({});
    tasks.runs.set('d'.repeat(32), { task: 'mod::echo', caller: REQUEST.callerid, startedAtMs: 0, finishedAtMs: 1_000, stdout: 'plain text', stderr: 'oops', exitcode: 2 });
    const result = await handle(node, 'task_status', { task_id: 'd'.repeat(32) });
    expect(result).toMatchObject({ statuscode: 1, statusmsg: 'choria.tasks/task-error: The task errored with a code 2', data: { completed: true, exitcode: 2, stderr: 'oops', runtime: 1 } });
    expect(JSON.parse(result.data.stdout as string)).toMatchObject({ _output: 'plain text', _error: { kind: 'choria.tasks/task-error' } });
  });
});
