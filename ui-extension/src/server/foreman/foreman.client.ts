/**
 * Foreman's API v2, the only code of the ui-extension that talks to Foreman. Shapes as Foreman
 * documents them (shared/research/foreman-rex.md, "API conventions"): every index answers
 * `{total, subtotal, page, per_page, search, sort, results}`, pages are asked with `page` and
 * `per_page`, and a refused login is 401 `{"error": {"message": ...}}`. A personal access token is
 * sent as the Basic password, which is how Foreman accepts tokens on API requests.
 */
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { describeBytes, describeUrl, readCappedBody } from '../capped-body';
import { AppError } from '../errors';

export interface ForemanClientOptions {
  /** Base URL, e.g. https://foreman.example.com */
  url: string;
  login: string;
  token: string;
  caFile?: string;
  /** Deadline of one request, whole answer included (foreman.timeout_ms). */
  timeoutMs: number;
  perPage?: number;
  /** Largest answer read (foreman.max_answer_bytes); a larger one fails the request, not the process. */
  maxAnswerBytes?: number;
}

/** foreman.max_answer_bytes's default: 64 MiB, some 250 hosts with their facts many times over. */
export const DEFAULT_MAX_ANSWER_BYTES = 64 * 1024 * 1024;

export interface ForemanHost {
  id: number;
  name: string;
  hostgroup_title?: string | null;
  puppet_proxy_name?: string | null;
  organization_name?: string | null;
  location_name?: string | null;
}

export interface ForemanHostgroup {
  id: number;
  title: string;
}

export interface ForemanSmartProxy {
  id: number;
  name: string;
  url?: string;
}

export interface ForemanClient {
  /** Base URL for display (no credentials). */
  readonly url: string;
  hosts(): Promise<ForemanHost[]>;
  hostgroups(): Promise<ForemanHostgroup[]>;
  smartProxies(): Promise<ForemanSmartProxy[]>;
  /** One host's facts (`/api/v2/hosts/:id/facts`), flattened as Foreman stores them (`os::family`). */
  hostFacts(hostId: number): Promise<Record<string, string>>;
  close(): void;
}

interface ForemanIndex<T> {
  subtotal: number;
  page: number;
  per_page: number;
  results: T;
}

export function createForemanClient(options: ForemanClientOptions): ForemanClient {
  const base = new URL(options.url);
  const secure = base.protocol === 'https:';
  const agent = secure ? new https.Agent({ ca: options.caFile ? fs.readFileSync(options.caFile) : undefined, keepAlive: true }) : new http.Agent({ keepAlive: true });
  const display = base.origin;
  const auth = `Basic ${Buffer.from(`${options.login}:${options.token}`).toString('base64')}`;
  const perPage = options.perPage ?? 250;
  const cap = options.maxAnswerBytes ?? DEFAULT_MAX_ANSWER_BYTES;

  /**
   * One GET, bounded twice: `timeoutMs` is a deadline for the whole answer (connect, headers, body),
   * not an idle timer a Foreman sending a byte now and then could reset forever; and its size (`cap`).
   */
  function get(path: string): Promise<{ status: number; text: string }> {
    const url = new URL(path, base);
    // The query string is this client's own page and per_page; describeUrl drops user:pass@.
    const where = `${describeUrl(url)}${url.search}`;
    const send = secure ? https.request : http.request;
    const signal = AbortSignal.timeout(options.timeoutMs);
    const late = () => new AppError('DEADLINE_EXCEEDED', `Foreman gave no complete answer to ${where} within ${options.timeoutMs} ms (foreman.timeout_ms)`);
    return new Promise((resolve, reject) => {
      const request = send(url, { method: 'GET', agent, signal, headers: { Accept: 'application/json', Authorization: auth } }, (response) => {
        readCappedBody(response, {
          capBytes: cap,
          // Retrying gets the same answer: the cap or foreman.per_page must change first.
          tooLarge: () => new AppError('FAILED_PRECONDITION', `Foreman's answer to ${where} is larger than foreman.max_answer_bytes (${describeBytes(cap)}); lower foreman.per_page or raise the cap`),
          brokeOff: (cause) => (signal.aborted ? late() : new AppError('UNAVAILABLE', `Foreman ${display} broke off an answer`, { cause })),
        }).then((body) => resolve({ status: response.statusCode ?? 0, text: body.toString('utf8') }), reject);
      });
      request.on('error', (cause) => reject(signal.aborted ? late() : new AppError('UNAVAILABLE', `Foreman ${display} cannot be reached: ${cause.message}`, { cause })));
      request.end();
    });
  }

  async function getPage<T>(resource: string, page: number): Promise<ForemanIndex<T>> {
    const { status, text } = await get(`/api/v2/${resource}?page=${page}&per_page=${perPage}`);
    // 401/403 will not heal by retrying: the token or its permissions must change first.
    if (status === 401 || status === 403) throw new AppError('FAILED_PRECONDITION', `Foreman ${display} refused the credentials of ${options.login} (HTTP ${status}); check foreman.login and foreman.token`);
    if (status === 404) throw new AppError('FAILED_PRECONDITION', `Foreman ${display} has no /api/v2/${resource} (HTTP 404); check foreman.url`);
    if (status !== 200) throw new AppError('UNAVAILABLE', `Foreman ${display} answered HTTP ${status} for /api/v2/${resource}`);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (cause) {
      throw new AppError('UNAVAILABLE', `Foreman ${display} answered /api/v2/${resource} with text that is not JSON`, { cause });
    }
    const index = body as Partial<ForemanIndex<T>>;
    if (typeof index !== 'object' || index === null || index.results === undefined || typeof index.subtotal !== 'number') {
      throw new AppError('UNAVAILABLE', `Foreman ${display} answered /api/v2/${resource} without Foreman's index envelope (results, subtotal)`);
    }
    return index as ForemanIndex<T>;
  }

  /** Every page of an index, until `subtotal` rows were seen or a page comes back empty. */
  async function all<T>(resource: string, count: (results: T) => number): Promise<T[]> {
    const out: T[] = [];
    for (let page = 1; ; page += 1) {
      const body = await getPage<T>(resource, page);
      out.push(body.results);
      const n = count(body.results);
      if (n === 0 || page * (body.per_page || perPage) >= body.subtotal) return out;
    }
  }

  const list = async <T>(resource: string): Promise<T[]> => (await all<T[]>(resource, (r) => (Array.isArray(r) ? r.length : 0))).flat();

  return {
    url: display,
    hosts: () => list<ForemanHost>('hosts'),
    hostgroups: () => list<ForemanHostgroup>('hostgroups'),
    smartProxies: () => list<ForemanSmartProxy>('smart_proxies'),
    async hostFacts(hostId) {
      // Foreman answers a host's facts keyed by the host's name: {"results": {"web1": {"os::family": "RedHat"}}}.
      const pages = await all<Record<string, Record<string, unknown>>>(`hosts/${hostId}/facts`, (r) => Object.values(r ?? {}).reduce((n, facts) => n + Object.keys(facts ?? {}).length, 0));
      const facts: Record<string, string> = {};
      for (const page of pages) {
        for (const values of Object.values(page ?? {})) {
          for (const [name, value] of Object.entries(values ?? {})) facts[name] = value === null || value === undefined ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value);
        }
      }
      return facts;
    },
    close() {
      agent.destroy();
    },
  };
}
