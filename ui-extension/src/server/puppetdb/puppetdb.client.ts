/**
 * PuppetDB's query API (v4, PQL), the only code of the ui-extension that talks to PuppetDB. Over
 * HTTPS it presents a client certificate of the Puppet CA, which PuppetDB requires; plain HTTP is
 * for a PuppetDB bound to loopback. Shapes as PuppetDB 7.12 answers them
 * (shared/research/puppet-server-real.md).
 */
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { describeBytes, describeUrl, readCappedBody } from '../capped-body';
import { AppError } from '../errors';

export interface PuppetDbClientOptions {
  url: string;
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  /** Deadline of one query, whole answer included; also sent to PuppetDB as `timeout` (seconds, rounded up). */
  timeoutMs: number;
  /** Largest answer read (puppetdb.max_answer_bytes); a larger one fails the query, not the process. */
  maxAnswerBytes?: number;
}

/** puppetdb.max_answer_bytes's default: 64 MiB, the inventory of some thousands of nodes. */
export const DEFAULT_MAX_ANSWER_BYTES = 64 * 1024 * 1024;

export interface PuppetDbNode {
  certname: string;
  /** Structured facts as PuppetDB stores them. */
  facts: Record<string, unknown>;
  /** The Puppet Server that submitted the node's facts (its factset's `producer`), when PuppetDB knows it. */
  producer: string | null;
}

export interface PuppetDbClient {
  /** Base URL for display (no credentials). */
  readonly url: string;
  /** Runs a PQL query; a query PuppetDB cannot parse is INVALID_ARGUMENT with its message. */
  query(pql: string): Promise<unknown[]>;
  /** Certnames a PQL query selects; a bare condition is asked of `inventory`. */
  certnames(pql: string): Promise<string[]>;
  /** Every node with its facts (`inventory`). */
  inventory(): Promise<PuppetDbNode[]>;
  close(): void;
}

/** PuppetDB 7.12's whole answer to the `timeout` parameter, and nothing else (see `ask`). */
const TIMEOUT_REFUSED = /^\s*Unsupported query parameter 'timeout'\s*$/;

/** `inventory[certname] { ... }`, `nodes { ... }`, `facts[certname] { ... }`: an entity comes first. */
const ENTITY_QUERY = /^\s*[a-z_]+\s*(\[[^\]]*\]\s*)?\{/;

/** The query as PuppetDB gets it: a bare condition (`facts.os.family = "Debian"`) asks inventory. */
export function certnameQuery(pql: string): string {
  return ENTITY_QUERY.test(pql) ? pql : `inventory[certname] { ${pql} }`;
}

export function createPuppetDbClient(options: PuppetDbClientOptions): PuppetDbClient {
  const base = new URL(options.url);
  const secure = base.protocol === 'https:';
  const agent = secure
    ? new https.Agent({
        ca: options.caFile ? fs.readFileSync(options.caFile) : undefined,
        cert: options.certFile ? fs.readFileSync(options.certFile) : undefined,
        key: options.keyFile ? fs.readFileSync(options.keyFile) : undefined,
        keepAlive: true,
      })
    : new http.Agent({ keepAlive: true });
  const display = base.origin;
  const cap = options.maxAnswerBytes ?? DEFAULT_MAX_ANSWER_BYTES;

  /**
   * One POST, bounded twice: `timeoutMs` is a deadline for the whole answer (connect, query, body),
   * not an idle timer a slow trickle could reset; and the answer's size (`cap`).
   */
  function post(path: string, body: string): Promise<{ status: number; text: string }> {
    const url = new URL(path, base);
    // The query travels in the body, so the URL has no query string; describeUrl drops user:pass@.
    const where = describeUrl(url);
    const send = secure ? https.request : http.request;
    const signal = AbortSignal.timeout(options.timeoutMs);
    const late = () => new AppError('DEADLINE_EXCEEDED', `PuppetDB gave no complete answer to ${where} within ${options.timeoutMs} ms (puppetdb.timeout_ms)`);
    return new Promise((resolve, reject) => {
      const request = send(url, { method: 'POST', agent, signal, headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'Content-Length': Buffer.byteLength(body) } }, (response) => {
        readCappedBody(response, {
          capBytes: cap,
          // Retrying gets the same answer: the query or the cap must change first.
          tooLarge: () => new AppError('FAILED_PRECONDITION', `PuppetDB's answer to ${where} is larger than puppetdb.max_answer_bytes (${describeBytes(cap)}); narrow the query or raise the cap`),
          brokeOff: (cause) => (signal.aborted ? late() : new AppError('UNAVAILABLE', `PuppetDB ${display} broke off an answer`, { cause })),
        }).then((text) => resolve({ status: response.statusCode ?? 0, text: text.toString('utf8') }), reject);
      });
      request.on('error', (cause) => reject(signal.aborted ? late() : new AppError('UNAVAILABLE', `PuppetDB ${display} cannot be reached: ${cause.message}`, { cause })));
      request.end(body);
    });
  }

  /**
   * PuppetDB 7.13 and later stop a query at its `timeout` parameter (seconds), so a query this
   * client gave up on does not go on in PostgreSQL; older ones refuse the parameter with 400 and
   * exactly `Unsupported query parameter 'timeout'` (query.clj validate-query-params). Sent until
   * PuppetDB refuses it so once, then never again. Only that whole body counts: a 400 also carries
   * PQL parse errors, which echo the query, and a query must not switch the server-side limit off.
   */
  let serverTimeout = true;
  const timeoutSeconds = Math.max(1, Math.ceil(options.timeoutMs / 1000));

  async function ask(pql: string): Promise<{ status: number; text: string }> {
    if (serverTimeout) {
      const answer = await post('/pdb/query/v4', JSON.stringify({ query: pql, timeout: timeoutSeconds }));
      if (!(answer.status === 400 && TIMEOUT_REFUSED.test(answer.text))) return answer;
      serverTimeout = false;
    }
    return post('/pdb/query/v4', JSON.stringify({ query: pql }));
  }

  async function query(pql: string): Promise<unknown[]> {
    const { status, text } = await ask(pql);
    if (status === 200) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (cause) {
        throw new AppError('UNAVAILABLE', `PuppetDB ${display} answered with text that is not JSON`, { cause });
      }
      if (!Array.isArray(parsed)) throw new AppError('UNAVAILABLE', `PuppetDB ${display} answered with something that is not a list`);
      return parsed;
    }
    // PuppetDB explains a bad query in plain text: "PQL parse error at line 1, column 41: ...".
    if (status === 400) throw new AppError('INVALID_ARGUMENT', `PuppetDB refused the query: ${text.trim().slice(0, 500)}`, { httpStatus: 422, details: { fields: [{ field: 'targeting.pql', rule: 'a query PuppetDB accepts' }] } });
    if (status === 401 || status === 403) throw new AppError('FAILED_PRECONDITION', `PuppetDB ${display} refused this ui-extension's certificate (HTTP ${status})`);
    throw new AppError('UNAVAILABLE', `PuppetDB ${display} answered HTTP ${status}`);
  }

  return {
    url: display,
    query,
    async certnames(pql) {
      const rows = await query(certnameQuery(pql));
      const names = new Set<string>();
      for (const row of rows) {
        const certname = typeof row === 'object' && row !== null ? (row as { certname?: unknown }).certname : undefined;
        if (typeof certname !== 'string') {
          throw new AppError('INVALID_ARGUMENT', 'the PQL query must return certnames (e.g. inventory[certname] { ... } or nodes { ... })', { httpStatus: 422, details: { fields: [{ field: 'targeting.pql', rule: 'returns certname' }] } });
        }
        names.add(certname);
      }
      return [...names].sort();
    },
    async inventory() {
      const rows = await query('inventory[certname, facts] { order by certname }');
      // The inventory entity has no producer; the factsets entity does (one row per node, no facts).
      const producers = new Map<string, string>();
      for (const row of await query('factsets[certname, producer] { }')) {
        const { certname, producer } = (row ?? {}) as { certname?: unknown; producer?: unknown };
        if (typeof certname === 'string' && typeof producer === 'string' && producer !== '') producers.set(certname, producer);
      }
      return rows
        .filter((row): row is { certname: string; facts: Record<string, unknown> } => typeof (row as { certname?: unknown }).certname === 'string')
        .map((row) => ({ certname: row.certname, facts: typeof row.facts === 'object' && row.facts !== null ? row.facts : {}, producer: producers.get(row.certname) ?? null }));
    },
    close() {
      agent.destroy();
    },
  };
}
