/**
 * The proxy's own action policy, in Choria's aclpolicy format (choria-protocol.md §13), as a second
 * line of defence behind the ui-extension's permissions: whoever reaches this proxy, only what the
 * policy files allow is sent to the broker.
 *
 *   policy default deny
 *   allow<TAB>user=alice user=bob<TAB>status<TAB>*<TAB>*
 *   deny<TAB>*<TAB>uninstall purge<TAB>*<TAB>*
 *
 * Files are `<directory>/<agent>.policy` (or `<default_name>.policy` when `enable_default` is on),
 * groups in `<directory>/groups` (`name callerid callerid ...`). As in Go Choria, an agent without
 * a policy file is denied, the first matching rule wins, and `allow_unconfigured` only decides
 * inside a file without a `policy default` line. The caller is `user=<login>`: the ui-extension
 * user the request names.
 *
 * Where this proxy cannot do what a node does it fails closed: it decides for the whole request
 * before sending, so it cannot test facts or classes per node; a rule whose facts or classes field
 * is not `*` never allows and always denies. A malformed line denies the whole agent.
 */
import fs from 'node:fs';
import path from 'node:path';

import type { DdlRegistry } from './ddl-registry';

export interface ActionPolicyOptions {
  directory: string;
  enableDefault: boolean;
  defaultName: string;
  allowUnconfigured: boolean;
  /** Reads a file, or undefined when it does not exist; for tests. */
  readFile?: (file: string) => string | undefined;
}

export interface PolicyDecision {
  allowed: boolean;
  /** Why, naming the file and line that decided. */
  reason: string;
}

export interface ActionPolicy {
  check(callerid: string, agent: string, action: string): PolicyDecision;
}

interface Rule {
  allow: boolean;
  callers: string[];
  actions: string[];
  /** True when facts or classes are not `*` (cannot be evaluated before sending). */
  nodeConditions: boolean;
  line: number;
}

interface ParsedPolicy {
  defaultAllow?: boolean;
  rules: Rule[];
  error?: string;
}

const AGENT = /^[A-Za-z0-9_]+$/;

function readIfExists(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Parses one policy file; a malformed rule line makes `error` name it. */
export function parsePolicy(text: string): ParsedPolicy {
  const out: ParsedPolicy = { rules: [] };
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i];
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const fallback = /^policy\s+default\s+(allow|deny)$/.exec(line);
    if (fallback) {
      out.defaultAllow = fallback[1] === 'allow';
      continue;
    }
    const fields = raw.replace(/^\s+|\s+$/g, '').split(/\t+/);
    if ((fields[0] !== 'allow' && fields[0] !== 'deny') || fields.length !== 5 || fields.some((f) => f.trim() === '')) {
      return { ...out, error: `line ${i + 1} is not 'allow|deny<TAB>callers<TAB>actions<TAB>facts<TAB>classes'` };
    }
    const [kind, callers, actions, facts, classes] = fields.map((f) => f.trim());
    out.rules.push({
      allow: kind === 'allow',
      callers: callers.split(/\s+/),
      actions: actions.split(/\s+/),
      nodeConditions: facts !== '*' || classes !== '*',
      line: i + 1,
    });
  }
  return out;
}

/** `groups` file: `name callerid callerid ...` per line. */
export function parseGroups(text: string): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const [name, ...members] = line.split(/\s+/);
    if (/^[\w.-]+$/.test(name)) groups.set(name, members);
  }
  return groups;
}

function callerMatches(pattern: string, callerid: string, groups: Map<string, string[]>): boolean {
  if (pattern === '*') return true;
  if (pattern.length > 2 && pattern.startsWith('/') && pattern.endsWith('/')) {
    try {
      return new RegExp(pattern.slice(1, -1)).test(callerid);
    } catch {
      return false;
    }
  }
  if (pattern.includes('=')) return pattern === callerid;
  return groups.get(pattern)?.includes(callerid) ?? false;
}

export function createActionPolicy(options: ActionPolicyOptions): ActionPolicy {
  const read = options.readFile ?? readIfExists;
  return {
    check(callerid, agent, action) {
      if (!AGENT.test(agent)) return { allowed: false, reason: `agent name ${JSON.stringify(agent)} is not valid` };
      let file = `${agent}.policy`;
      let text = read(path.join(options.directory, file));
      if (text === undefined && options.enableDefault) {
        file = `${options.defaultName}.policy`;
        text = read(path.join(options.directory, file));
      }
      if (text === undefined) return { allowed: false, reason: `no policy file for agent ${agent}` };
      const policy = parsePolicy(text);
      if (policy.error) return { allowed: false, reason: `${file} ${policy.error}` };
      const groups = parseGroups(read(path.join(options.directory, 'groups')) ?? '');
      for (const rule of policy.rules) {
        const callerHit = rule.callers.some((c) => callerMatches(c, callerid, groups));
        const actionHit = rule.actions.includes('*') || rule.actions.includes(action);
        if (!callerHit || !actionHit) continue;
        if (rule.nodeConditions && rule.allow) continue;
        return { allowed: rule.allow, reason: `${file} line ${rule.line} ${rule.allow ? 'allows' : 'denies'} ${callerid} ${agent}.${action}` };
      }
      const allowed = policy.defaultAllow ?? options.allowUnconfigured;
      return { allowed, reason: `${file}: no rule matches ${callerid} ${agent}.${action}; the default is ${allowed ? 'allow' : 'deny'}` };
    },
  };
}

/**
 * The ui-extension names the user a job runs for as `caller`, and its logins follow one rule
 * (ui-extension users.routes.ts): letters, digits and . @ + - _, at most 100.
 */
const UI_EXTENSION_CALLER = /^user=[\w.@+-]{1,100}$/;

/**
 * The policy when `policy.directory` is empty: exactly what the ui-extension sends, and nothing
 * else. The caller is a ui-extension user (`user=<login>`), and the action is one whose DDL this
 * proxy serves (from its DDL directory, the fleet or the Puppet Server): the actions ListAgents
 * offers, which are the only ones the ui-extension lets its users choose. The ui-extension's
 * permissions decide which user may run which of them; policy files narrow it further per user.
 */
export function createBuiltInPolicy(ddls: Pick<DdlRegistry, 'get'>): ActionPolicy {
  return {
    check(callerid, agent, action) {
      if (!UI_EXTENSION_CALLER.test(callerid)) return { allowed: false, reason: `built-in policy: caller ${JSON.stringify(callerid)} is not user=<ui-extension login>` };
      const spec = ddls.get(agent);
      if (!spec?.actions.has(action)) return { allowed: false, reason: `built-in policy: ${agent}.${action} has no DDL on this proxy` };
      return { allowed: true, reason: `built-in policy allows ${callerid} ${agent}.${action}` };
    },
  };
}
