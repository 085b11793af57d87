/**
 * The proxy's audit log: one JSON line per request, like Choria's rpcaudit log (choria-protocol.md
 * §14), plus what only the proxy knows: the targets and the outcome. Written when the request ends
 * (or is refused), so that one line tells the whole story.
 */
import fs from 'node:fs';

import type { ActionSpec } from './ddl-registry';
import { SENSITIVE_INPUT_NAME } from './ddl-registry';

/** Identities listed in a line; the count is always complete. */
const LISTED_TARGETS = 10;
export const MASK = '********';

export interface AuditOutcome {
  /** completed, cancelled, broker_failed or rejected. */
  state: string;
  succeeded?: number;
  failed?: number;
  no_response?: number;
  cancelled?: number;
  unexpected?: number;
  /** Why a request was refused; safe text (an AppError message). */
  error?: string;
}

export interface AuditRecord {
  executionId: string;
  /** Broker request ids, one per batch sent; empty when nothing was sent. */
  requestIds: readonly string[];
  caller: string;
  agent: string;
  action: string;
  /** The DDL of the action, when known: it says which inputs are sensitive. */
  actionSpec?: ActionSpec;
  arguments: Record<string, unknown>;
  targets: readonly string[];
  outcome: AuditOutcome;
  durationMs?: number;
}

export interface AuditLog {
  record(entry: AuditRecord): void;
  /**
   * Opens the file again by its name (SIGHUP, after logrotate moved it away): later lines go to
   * the new file, lines already written finish in the old one. Nothing to do on stdout.
   */
  reopen(): Promise<void>;
  close(): Promise<void>;
}

/** Arguments with the values of sensitive inputs replaced, by DDL flag or by name. */
export function maskArguments(spec: ActionSpec | undefined, args: Record<string, unknown>): Record<string, unknown> {
  const masked: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(args)) {
    const sensitive = spec?.inputs.get(name)?.sensitive === true || SENSITIVE_INPUT_NAME.test(name);
    masked[name] = sensitive ? MASK : value;
  }
  return masked;
}

/**
 * The text forms of the sensitive argument values, so that a reply echoing one (a task printing
 * its token) can be masked before it leaves the proxy. Very short values are left alone: masking
 * every "1" in a reply would say more about the secret than it hides.
 */
export function secretTexts(spec: ActionSpec | undefined, args: Record<string, unknown>): string[] {
  const texts = new Set<string>();
  for (const [name, value] of Object.entries(args)) {
    const sensitive = spec?.inputs.get(name)?.sensitive === true || SENSITIVE_INPUT_NAME.test(name);
    if (!sensitive || value === undefined || value === null) continue;
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    if (text.length >= 4) texts.add(text);
  }
  return [...texts].sort((a, b) => b.length - a.length);
}

/** `json` (a JSON text) with every occurrence of a secret, raw or JSON-escaped, replaced by the mask. */
export function maskSecretsInJson(json: string, secrets: readonly string[]): string {
  let out = json;
  for (const secret of secrets) {
    const escaped = JSON.stringify(secret).slice(1, -1);
    out = out.split(escaped).join(MASK);
    if (escaped !== secret) out = out.split(secret).join(MASK);
  }
  return out;
}

export function auditLine(entry: AuditRecord, nowMs: number, sender: string): string {
  return JSON.stringify({
    timestamp: new Date(nowMs).toISOString(),
    execution_id: entry.executionId,
    request_ids: entry.requestIds,
    caller: entry.caller,
    sender,
    agent: entry.agent,
    action: entry.action,
    data: maskArguments(entry.actionSpec, entry.arguments),
    targets: { count: entry.targets.length, first: entry.targets.slice(0, LISTED_TARGETS) },
    outcome: entry.outcome,
    duration_ms: entry.durationMs ?? 0,
  });
}

export interface AuditLogOptions {
  /** Empty or undefined writes to stdout. */
  file?: string;
  /** This proxy's identity, written as `sender` like Choria does. */
  sender: string;
  now?: () => number;
  /** Where lines go instead of the file; for tests. */
  sink?: (line: string) => void;
  /**
   * Told when the file cannot be opened or written (a directory removed, a full disk, a reopen
   * after logrotate without the right to create the file): the proxy logs it and keeps serving.
   */
  onError?: (error: Error) => void;
}

/** Appends to `file` (created 0600) or writes to stdout. */
export function createAuditLog(options: AuditLogOptions): AuditLog {
  const now = options.now ?? Date.now;
  // 0600 as Choria's default: the log names callers and what they ran.
  const open = (file: string) => fs.createWriteStream(file, { flags: 'a', mode: 0o600 }).on('error', (error) => options.onError?.(error));
  let stream = !options.sink && options.file ? open(options.file) : undefined;
  const sink = options.sink ?? ((line: string) => (stream ? stream.write(line) : process.stdout.write(line)));
  const end = (old: fs.WriteStream | undefined) => new Promise<void>((resolve) => (old ? old.end(resolve) : resolve()));
  return {
    record(entry) {
      sink(`${auditLine(entry, now(), options.sender)}\n`);
    },
    reopen() {
      if (!stream || !options.file) return Promise.resolve();
      const old = stream;
      stream = open(options.file);
      return end(old);
    },
    close() {
      const old = stream;
      stream = undefined;
      return end(old);
    },
  };
}
