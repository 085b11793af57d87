/**
 * The Puppet Server task API (`/puppet/v3/tasks`), read with the proxy's client certificate: the
 * server's auth.conf lets any certificate of its CA list tasks and read their metadata. Shapes as a
 * Puppet Server 7.9 answers them (shared/research/puppet-server-real.md); the only code of the
 * proxy that talks to a Puppet Server.
 */
import fs from 'node:fs';
import https from 'node:https';

import { AppError } from '@proxy/errors';

/** One entry of `GET /puppet/v3/tasks?environment=` (the list is not sorted by the server). */
export interface TaskListEntry {
  name: string;
  private: boolean;
  description: string;
}

/** One task file as the server describes it; nodes download it from `uri` and check sha256 and size. */
export interface TaskFile {
  filename: string;
  sha256: string;
  size_bytes: number;
  uri: { path: string; params: Record<string, string> };
}

export interface TaskParameter {
  description?: string;
  /** A Puppet type expression; Bolt treats a missing type as Any. */
  type?: string;
  sensitive?: boolean;
  default?: unknown;
}

export interface TaskImplementation {
  name: string;
  requirements?: string[];
  input_method?: string;
  files?: string[];
}

/** The task's JSON metadata file as written (`{}` when the task has none). */
export interface TaskMetadata {
  description?: string;
  input_method?: string;
  supports_noop?: boolean;
  private?: boolean;
  parameters?: Record<string, TaskParameter>;
  implementations?: TaskImplementation[];
  files?: string[];
}

/** `GET /puppet/v3/tasks/<module>/<task>?environment=`. */
export interface TaskDetails {
  name: string;
  metadata: TaskMetadata;
  files: TaskFile[];
}

export interface PuppetServerClient {
  /** The server URL, for display (it holds no credentials). */
  readonly url: string;
  listTasks(environment: string): Promise<TaskListEntry[]>;
  getTask(name: string, environment: string): Promise<TaskDetails>;
  close(): void;
}

export interface PuppetServerClientOptions {
  url: string;
  caFile: string;
  certFile: string;
  keyFile: string;
  requestTimeoutMs: number;
}

const TASK_NAME = /^[a-z][a-z0-9_]*(::[a-z][a-z0-9_]*)?$/;

/** `mod` alone means `mod::init`, as in Puppet. */
export function taskPath(name: string): string {
  if (!TASK_NAME.test(name)) throw new AppError('INVALID_ARGUMENT', `task name ${JSON.stringify(name)} is not module::task`, { details: { input: 'action', rule: 'task_name' } });
  const [module, task = 'init'] = name.split('::');
  return `/puppet/v3/tasks/${module}/${task}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Checks the shape of a task's details; the nodes rely on every file having a sha256, size and uri. */
export function parseTaskDetails(body: unknown, where: string): TaskDetails {
  const bad = (what: string): never => {
    throw new AppError('FAILED_PRECONDITION', `the Puppet Server answered ${where} with ${what}`);
  };
  if (!isRecord(body) || typeof body.name !== 'string') return bad('no task name');
  const metadata = body.metadata === undefined || body.metadata === null ? {} : body.metadata;
  if (!isRecord(metadata)) return bad('metadata that is not an object');
  if (metadata.parameters !== undefined && !isRecord(metadata.parameters)) return bad('parameters that are not an object');
  if (!Array.isArray(body.files)) return bad('no file list');
  const files = body.files.map((file, index): TaskFile => {
    if (!isRecord(file) || typeof file.filename !== 'string' || typeof file.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(file.sha256) || typeof file.size_bytes !== 'number') {
      return bad(`a file entry ${index} without filename, sha256 or size_bytes`);
    }
    const uri = file.uri;
    if (!isRecord(uri) || typeof uri.path !== 'string' || !uri.path.startsWith('/')) return bad(`file ${file.filename} without a uri path`);
    const params: Record<string, string> = {};
    if (isRecord(uri.params)) for (const [k, v] of Object.entries(uri.params)) params[k] = String(v);
    return { filename: file.filename, sha256: file.sha256, size_bytes: file.size_bytes, uri: { path: uri.path, params } };
  });
  return { name: body.name, metadata: metadata as TaskMetadata, files };
}

export function createPuppetServerClient(options: PuppetServerClientOptions): PuppetServerClient {
  const base = new URL(options.url);
  const agent = new https.Agent({
    ca: fs.readFileSync(options.caFile),
    cert: fs.readFileSync(options.certFile),
    key: fs.readFileSync(options.keyFile),
    keepAlive: true,
    maxSockets: 8,
  });
  const display = base.origin;

  function get(pathAndQuery: string): Promise<{ status: number; body: string }> {
    const url = new URL(pathAndQuery, base);
    return new Promise((resolve, reject) => {
      const request = https.get(url, { agent, headers: { Accept: 'application/json' }, timeout: options.requestTimeoutMs }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        response.on('error', (cause) => reject(new AppError('UNAVAILABLE', `Puppet Server ${display} broke off an answer: ${cause.message}`, { cause })));
      });
      request.on('timeout', () => request.destroy(new Error(`no answer within ${options.requestTimeoutMs} ms`)));
      request.on('error', (cause) => reject(new AppError('UNAVAILABLE', `Puppet Server ${display} cannot be reached: ${cause.message}`, { cause })));
    });
  }

  async function getJson(pathAndQuery: string, what: string): Promise<unknown> {
    const { status, body } = await get(pathAndQuery);
    if (status === 200) {
      try {
        return JSON.parse(body);
      } catch (cause) {
        throw new AppError('FAILED_PRECONDITION', `the Puppet Server answered ${what} with text that is not JSON`, { cause });
      }
    }
    // The server's messages are short and name the module or environment; they carry no secrets.
    const message = body.length > 300 ? `${body.slice(0, 300)}...` : body;
    if (status === 404) throw new AppError('NOT_FOUND', `Puppet Server ${display}: ${message.trim() || `${what} not found`}`);
    if (status === 403 || status === 401) throw new AppError('FAILED_PRECONDITION', `Puppet Server ${display} refused the proxy's certificate for ${what} (HTTP ${status}); check its auth.conf`);
    if (status === 400) throw new AppError('INVALID_ARGUMENT', `Puppet Server ${display}: ${message.trim()}`);
    // A task whose metadata JSON is broken answers 500 with {"kind":"puppet.tasks/unparseable-metadata"}.
    if (status === 500 && body.includes('unparseable-metadata')) throw new AppError('FAILED_PRECONDITION', `Puppet Server ${display}: the metadata of ${what} is not valid JSON`);
    throw new AppError('UNAVAILABLE', `Puppet Server ${display} answered HTTP ${status} for ${what}`);
  }

  return {
    url: display,
    async listTasks(environment) {
      const body = await getJson(`/puppet/v3/tasks?environment=${encodeURIComponent(environment)}`, `the task list of environment ${environment}`);
      if (!Array.isArray(body)) throw new AppError('FAILED_PRECONDITION', 'the Puppet Server answered the task list with something that is not a list');
      return body
        .filter((entry): entry is Record<string, unknown> => isRecord(entry) && typeof entry.name === 'string')
        .map((entry) => ({ name: entry.name as string, private: entry.private === true, description: typeof entry.description === 'string' ? entry.description : '' }))
        .sort((a, b) => a.name.localeCompare(b.name));
    },
    async getTask(name, environment) {
      const what = `task ${name}`;
      return parseTaskDetails(await getJson(`${taskPath(name)}?environment=${encodeURIComponent(environment)}`, what), what);
    },
    close() {
      agent.destroy();
    },
  };
}
