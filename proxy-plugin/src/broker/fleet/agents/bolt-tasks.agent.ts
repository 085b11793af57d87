/**
 * The bolt_tasks agent of a virtual node, for real: `download` fetches each task file from the
 * Puppet Server over HTTPS with the node's certificate and refuses a file whose sha256 or size
 * differs from the specification; `run_no_wait` lays the files out in a spool directory and runs
 * the executable as a child process with its input on stdin and/or in PT_* variables as the input
 * method says; `task_status` reports stdout, stderr, exit code and runtime. Behaviour follows
 * choria-io/mcorpc-ruby-support (util/tasks_support.rb, agent/bolt_tasks.rb) as described in
 * shared/research/choria-protocol.md §12: cache by sha256, spool per task id, stdout as a JSON
 * string that is the task's object or {"_output": ...}, statuscode 1 when the task failed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';

import { aborted, ok, type ActionResult, type NodeState, type RequestContext, type VirtualAgent } from './agent';

/** Where a node's tasks live and how it reaches the Puppet Server. */
export interface NodeTasks {
  /** GET a Puppet Server path (with query) as the node, i.e. with its certificate. */
  fetch(pathAndQuery: string): Promise<Buffer>;
  /** The node's own folder: cache/<sha256> and spool/<task id>. */
  directory: string;
  runs: Map<string, TaskRun>;
  /** Files fetched from the Puppet Server, for tests to see that nodes really downloaded. */
  downloads: number;
}

export interface TaskRun {
  task: string;
  caller: string;
  startedAtMs: number;
  finishedAtMs?: number;
  stdout: string;
  stderr: string;
  exitcode?: number;
  /** Set when the process could not be started at all. */
  spawnError?: string;
  child?: ChildProcess;
}

interface FileSpec {
  filename: string;
  sha256: string;
  size_bytes: number;
  uri: { path: string; params: Record<string, string> };
}

/** Output kept per stream; a runaway task must not exhaust the fleet's memory. */
const MAX_OUTPUT = 1024 * 1024;

export interface TaskFileFetcherOptions {
  puppetServerUrl: string;
  caFile: string;
  certFile: string;
  keyFile: string;
  timeoutMs?: number;
}

/** One HTTPS client per fleet: every virtual node presents the fleet's node certificate. */
export function createTaskFileFetcher(options: TaskFileFetcherOptions): { fetch(pathAndQuery: string): Promise<Buffer>; close(): void } {
  const agent = new https.Agent({ ca: fs.readFileSync(options.caFile), cert: fs.readFileSync(options.certFile), key: fs.readFileSync(options.keyFile), keepAlive: true, maxSockets: 16 });
  const base = new URL(options.puppetServerUrl);
  return {
    fetch(pathAndQuery) {
      return new Promise((resolve, reject) => {
        // Choria's download sends Accept: application/octet-stream; JSON would get a 406.
        const request = https.get(new URL(pathAndQuery, base), { agent, headers: { Accept: 'application/octet-stream' }, timeout: options.timeoutMs ?? 30_000 }, (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', reject);
          response.on('end', () => {
            const body = Buffer.concat(chunks);
            if (response.statusCode === 200) resolve(body);
            else reject(new Error(`HTTP ${response.statusCode}: ${body.toString('utf8').slice(0, 200)}`));
          });
        });
        request.on('timeout', () => request.destroy(new Error('timed out')));
        request.on('error', reject);
      });
    },
    close: () => agent.destroy(),
  };
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function parseFiles(text: unknown): FileSpec[] | string {
  if (typeof text !== 'string') return 'files must be a JSON string';
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return 'files is not valid JSON';
  }
  if (!Array.isArray(parsed) || parsed.length === 0) return 'files must be a non-empty list';
  for (const file of parsed as FileSpec[]) {
    if (typeof file?.filename !== 'string' || !/^[0-9a-f]{64}$/.test(String(file.sha256)) || typeof file.size_bytes !== 'number' || typeof file.uri?.path !== 'string') {
      return 'every file needs filename, sha256, size_bytes and uri';
    }
    // A filename is joined under the spool; it must stay inside it.
    if (file.filename.split('/').some((part) => part === '..' || part === '') || path.isAbsolute(file.filename)) return `file name ${file.filename} is not allowed`;
  }
  return parsed as FileSpec[];
}

const cachePath = (tasks: NodeTasks, file: FileSpec) => path.join(tasks.directory, 'cache', file.sha256);

/** True when the cache holds exactly this file: present, same size, same sha256. */
function cached(tasks: NodeTasks, file: FileSpec): boolean {
  try {
    const data = fs.readFileSync(cachePath(tasks, file));
    return data.length === file.size_bytes && sha256(data) === file.sha256;
  } catch {
    return false;
  }
}

async function downloadFile(tasks: NodeTasks, file: FileSpec): Promise<void> {
  const query = new URLSearchParams(file.uri.params ?? {}).toString();
  let lastError: Error | undefined;
  // Two attempts per file, as Choria's download does.
  for (let attempt = 1; attempt <= 2; attempt++) {
    let data: Buffer;
    try {
      data = await tasks.fetch(query ? `${file.uri.path}?${query}` : file.uri.path);
    } catch (error) {
      lastError = error as Error;
      continue;
    }
    tasks.downloads++;
    // Never cache what does not match the specification: the run would execute other code.
    if (data.length !== file.size_bytes) throw new Error(`${file.filename} has ${data.length} bytes, the specification says ${file.size_bytes}`);
    const digest = sha256(data);
    if (digest !== file.sha256) throw new Error(`${file.filename} has sha256 ${digest}, the specification says ${file.sha256}`);
    fs.mkdirSync(path.join(tasks.directory, 'cache'), { recursive: true, mode: 0o750 });
    const temp = `${cachePath(tasks, file)}.${process.pid}.tmp`;
    fs.writeFileSync(temp, data, { mode: 0o750 });
    fs.renameSync(temp, cachePath(tasks, file));
    return;
  }
  throw new Error(`${file.filename} could not be fetched: ${lastError?.message ?? 'unknown error'}`);
}

async function download(data: Record<string, unknown>, tasks: NodeTasks): Promise<ActionResult> {
  const files = parseFiles(data.files);
  if (typeof files === 'string') return { statuscode: 4, statusmsg: `Invalid data: ${files}`, data: {} };
  let downloads = 0;
  for (const file of files) {
    if (cached(tasks, file)) continue;
    try {
      await downloadFile(tasks, file);
      downloads++;
    } catch (error) {
      return aborted(`Could not download task ${String(data.task)}: ${(error as Error).message}`, { downloads });
    }
  }
  return ok({ downloads });
}

function moduleOf(task: string): string {
  return task.split('::')[0];
}

function envValue(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function taskError(kind: string, msg: string, details: Record<string, unknown> = {}): Record<string, unknown> {
  return { _error: { kind, msg, details } };
}

function runNoWait(data: Record<string, unknown>, node: NodeState, tasks: NodeTasks, request: RequestContext): ActionResult {
  const task = String(data.task);
  const files = parseFiles(data.files);
  if (typeof files === 'string') return { statuscode: 4, statusmsg: `Invalid data: ${files}`, data: {} };
  const taskId = request.requestid;
  if (tasks.runs.has(taskId)) return aborted(`Task spool for request ${taskId} already exist, cannot rerun`);
  const invalid = files.find((file) => !cached(tasks, file));
  if (invalid) {
    return { statuscode: 5, statusmsg: `Task ${task} is not available or does not match the specification, please download it`, data: { task_id: taskId, ...taskError('choria/invalid_cache', `${invalid.filename} is not in the cache or does not match its sha256`) } };
  }
  let input: Record<string, unknown> = {};
  if (typeof data.input === 'string' && data.input !== '') {
    try {
      input = JSON.parse(data.input) as Record<string, unknown>;
    } catch {
      return { statuscode: 4, statusmsg: 'Invalid data: input is not valid JSON', data: {} };
    }
  }
  const inputMethod = typeof data.input_method === 'string' ? data.input_method : files[0].filename.endsWith('.ps1') ? 'powershell' : 'both';
  if (inputMethod === 'powershell' || files[0].filename.endsWith('.ps1')) {
    return { statuscode: 5, statusmsg: `Task ${task} needs PowerShell, which this node does not have`, data: { task_id: taskId, ...taskError('choria/not_compatible', 'PowerShell tasks cannot run on this node') } };
  }

  // The spool holds the task's files as <module>/tasks/<file> and <module>/files/... like Bolt's installdir.
  const spool = path.join(tasks.directory, 'spool', taskId);
  const installdir = path.join(spool, 'files');
  for (const file of files) {
    const relative = file.filename.includes('/') ? file.filename : path.join(moduleOf(task), 'tasks', file.filename);
    const target = path.join(installdir, relative);
    fs.mkdirSync(path.dirname(target), { recursive: true, mode: 0o750 });
    fs.copyFileSync(cachePath(tasks, file), target);
    fs.chmodSync(target, 0o750);
  }
  const executable = path.join(installdir, moduleOf(task), 'tasks', files[0].filename);
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    _task: task,
    _choria_task_id: taskId,
    _choria_task_caller: request.callerid,
  };
  if (inputMethod === 'environment' || inputMethod === 'both') {
    for (const [key, value] of Object.entries(input)) env[`PT_${key}`] = envValue(value);
    env.PT__task = task;
    env.PT__installdir = installdir;
  }
  const run: TaskRun = { task, caller: request.callerid, startedAtMs: node.nowMs(), stdout: '', stderr: '' };
  tasks.runs.set(taskId, run);
  fs.writeFileSync(path.join(spool, 'choria.json'), JSON.stringify({ start_time: Math.floor(run.startedAtMs / 1000), caller: request.callerid, task }));
  // Its own process group, so that stopping the fleet also ends what the task started (sleep ...).
  const child = spawn(executable, [], { cwd: spool, env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  run.child = child;
  child.stdout.on('data', (chunk: Buffer) => {
    if (run.stdout.length < MAX_OUTPUT) run.stdout += chunk.toString('utf8');
  });
  child.stderr.on('data', (chunk: Buffer) => {
    if (run.stderr.length < MAX_OUTPUT) run.stderr += chunk.toString('utf8');
  });
  child.on('error', (error) => {
    run.spawnError = error.message;
    run.exitcode = 127;
    run.finishedAtMs = node.nowMs();
    run.child = undefined;
  });
  child.on('close', (code, signal) => {
    if (run.finishedAtMs !== undefined) return;
    run.exitcode = code ?? (signal ? 128 : 1);
    run.finishedAtMs = node.nowMs();
    run.child = undefined;
  });
  // A task that does not read its stdin must not fail the write.
  child.stdin.on('error', () => undefined);
  if (inputMethod === 'stdin' || inputMethod === 'both') child.stdin.end(JSON.stringify(input));
  else child.stdin.end();
  return ok({ task_id: taskId });
}

/** The stdout object of Choria's create_task_stdout: the task's JSON object, or its text as _output. */
function taskStdout(run: TaskRun, completed: boolean): Record<string, unknown> {
  if (run.spawnError) return taskError('choria.tasks/wrapper-error', 'The task wrapper failed to run', { wrapper_output: run.spawnError });
  let result: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(run.stdout);
    result = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : { _output: run.stdout };
  } catch {
    result = { _output: run.stdout };
  }
  if (completed && run.exitcode !== 0 && result._error === undefined) {
    result._error = { kind: 'choria.tasks/task-error', msg: `The task errored with a code ${run.exitcode}`, details: { exitcode: run.exitcode } };
  }
  return result;
}

function taskStatus(data: Record<string, unknown>, node: NodeState, tasks: NodeTasks, request: RequestContext): ActionResult {
  const taskId = String(data.task_id);
  const run = tasks.runs.get(taskId);
  if (!run) return { statuscode: 3, statusmsg: `Task ${taskId} have not been requested`, data: {} };
  // choria.tasks.own_status_only (default true): only the caller that started a task may read it.
  if (run.caller !== request.callerid) return aborted(`You are not authorized to retrieve the status of task ${taskId}`);
  const completed = run.finishedAtMs !== undefined;
  const stdout = taskStdout(run, completed);
  const reply = {
    task: run.task,
    callerid: run.caller,
    exitcode: completed ? run.exitcode : -1,
    stdout: JSON.stringify(stdout),
    stderr: run.stderr,
    completed,
    runtime: ((run.finishedAtMs ?? node.nowMs()) - run.startedAtMs) / 1000,
    start_time: Math.floor(run.startedAtMs / 1000),
  };
  const error = stdout._error as { kind?: string; msg?: string } | undefined;
  if (error) return { statuscode: 1, statusmsg: `${error.kind}: ${error.msg}`, data: reply };
  return ok(reply);
}

export const boltTasksAgent: VirtualAgent = {
  name: 'bolt_tasks',
  handle(action, data, node, request) {
    const tasks = node.tasks;
    if (!tasks) return aborted('This node has no Puppet Server to fetch tasks from');
    switch (action) {
      case 'download':
        return download(data, tasks);
      case 'run_no_wait':
        return runNoWait(data, node, tasks, request);
      case 'task_status':
        return taskStatus(data, node, tasks, request);
      default:
        return aborted(`Action ${action} is not simulated by the virtual bolt_tasks agent`);
    }
  },
};

/** Kills the tasks a node still runs (the fleet stops exactly what it started). */
export function stopNodeTasks(tasks: NodeTasks | undefined): void {
  if (!tasks) return;
  for (const run of tasks.runs.values()) {
    const pid = run.child?.pid;
    if (pid === undefined) continue;
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}
