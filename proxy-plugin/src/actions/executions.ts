/**
 * Executions: one run of an agent action on a set of hosts. Each keeps an append-only log of events
 * (started, one result per host in arrival order, summary) numbered 1, 2, 3, ... so that a stream
 * can replay from any sequence and then follow live, and a caller that lost its stream can catch up.
 * Costs stay linear in the number of hosts: one Set and one Map per execution, and no timer per host
 * (the broker client holds the one reply timeout of a batch).
 */
import type { BrokerClient, NodeReply, RequestFilter } from '@proxy/broker/broker-client';
import { AppError, isAppError } from '@proxy/errors';
import type { Logger } from '@proxy/logger';

import type { ActionPolicy } from './action-policy';
import { maskSecretsInJson, secretTexts, type AuditLog } from './audit';
import type { DdlRegistry } from './ddl-registry';
import { checkCollective } from './nodes';
import { resolveAction, validateArguments, type ResolvedAction } from './validate-arguments';

export type HostState = 'SUCCEEDED' | 'FAILED' | 'NO_RESPONSE' | 'CANCELLED';
export type ExecutionState = 'COMPLETED' | 'CANCELLED' | 'BROKER_FAILED' | 'DEADLINE_PASSED';
/**
 * Why a host ended the way it did (proto HostCause): UNSPECIFIED for a reply; NOT_SENT when its batch
 * never left (it did not run); NO_REPLY when it was asked and stayed silent (it may have run);
 * SECURITY when it was asked and its reply, or every node, failed the security check.
 */
export type HostCause = 'UNSPECIFIED' | 'NOT_SENT' | 'NO_REPLY' | 'SECURITY';

export interface StartedEvent {
  kind: 'started';
  sequence: number;
  executionId: string;
  /** Unknown until the broker client returns it; see the note in the report of issue 4. */
  requestId: string;
  expectedIdentities: readonly string[];
  /** Always true here: a `sent` event precedes every batch, so a host never named in one was never asked. */
  reportsSent: boolean;
}

/** The hosts of one batch, appended just before their requests are published. */
export interface SentEvent {
  kind: 'sent';
  sequence: number;
  /** 1-based batch number. */
  batch: number;
  identities: readonly string[];
  sentAtMs: number;
}

export interface HostResultEvent {
  kind: 'result';
  sequence: number;
  identity: string;
  state: HostState;
  /** mcorpc statuscode; -1 when the host never replied (or was never asked). */
  statuscode: number;
  statusmsg: string;
  /** JSON text of the reply data, serialised once however many streams send it. */
  dataJson: string;
  sentAtMs: number;
  receivedAtMs: number;
  unexpected: boolean;
  cause: HostCause;
  /** Why a host without a reply has none, whole; empty for replies. */
  reason: string;
}

/** responded, succeeded and failed count expected hosts only; `unexpected` counts the other replies. */
export interface SummaryEvent {
  kind: 'summary';
  sequence: number;
  state: ExecutionState;
  expected: number;
  responded: number;
  succeeded: number;
  failed: number;
  noResponse: number;
  cancelled: number;
  unexpected: number;
  durationMs: number;
  message: string;
}

export type ExecutionEvent = StartedEvent | SentEvent | HostResultEvent | SummaryEvent;

export interface ExecuteInput {
  executionId: string;
  agent: string;
  action: string;
  /** Parsed JSON arguments, checked against the DDL here. */
  arguments: unknown;
  /** Directed mode; when empty, `filter` is discovered first. */
  identities: readonly string[];
  filter?: RequestFilter;
  /** 0 means the DDL's timeout. */
  timeoutSeconds: number;
  /** 0 means all at once. */
  batchSize: number;
  batchSleepMs: number;
  caller: string;
  /** Empty means the proxy's main collective. */
  collective: string;
  /** 0 means the proxy's default. */
  discoveryTimeoutMs: number;
  /** Must be true when identities and filter are both empty: that targets every node. */
  allNodes?: boolean;
  /**
   * The rollout's deadline in Unix ms, from the caller (0: none): no batch leaves after it and no
   * batch waits for replies beyond it, so the execution is over by then whatever its batches.
   */
  deadlineMs?: number;
}

export interface Execution {
  readonly id: string;
  /** The log so far; grows until the summary, which is always the last event. */
  readonly events: readonly ExecutionEvent[];
  isFinished(): boolean;
  /** Called after every new event; returns the function that unsubscribes. */
  onChange(listener: () => void): () => void;
  /** Settles once the summary is in the log. */
  readonly done: Promise<void>;
}

export interface CancelOutcome {
  found: boolean;
  cancelledHosts: number;
}

export interface ExecutionRegistry {
  /**
   * Validates and starts an execution; the run continues in the background. Throws AppError
   * (INVALID_ARGUMENT, ALREADY_EXISTS, UNAVAILABLE) before anything is sent to the broker.
   */
  execute(input: ExecuteInput): Execution;
  get(id: string): Execution | undefined;
  /** Aborts a running execution and resolves once its summary is written. */
  cancel(id: string): Promise<CancelOutcome>;
  /** Cancels everything still running and waits for the summaries. */
  shutdown(): Promise<void>;
}

export type Sleep = (ms: number, signal: AbortSignal) => Promise<void>;

/** One batch of hosts handed to a runner: the validated data and where replies go. */
export interface RunnerCall {
  executionId: string;
  action: string;
  data: Record<string, unknown>;
  identities: string[];
  collective: string;
  callerid: string;
  timeoutSeconds: number;
  signal: AbortSignal;
  /** At most one final reply per identity; identities never replied to end no_response. */
  onReply: (reply: NodeReply) => void;
}

/**
 * Runs the actions of an agent that is not a single broker request, e.g. the Puppet Tasks namespace
 * (download, run_no_wait, then task_status until done). The execution keeps its batching, cancel,
 * counters, events and audit; the runner only replaces "send one directed request".
 */
export interface ActionRunner {
  /** The broker agent the nodes must have, for discovery (`bolt_tasks` for tasks). */
  brokerAgent: string;
  /** Resolves when every identity of the batch has its final reply, or the run gave up (timeout, abort). */
  run(call: RunnerCall): Promise<{ requestIds: string[]; silentReasons?: ReadonlyMap<string, string> }>;
}

export interface ExecutionRegistryDeps {
  broker: BrokerClient;
  ddls: DdlRegistry;
  audit: AuditLog;
  /** The proxy's action policy (action-policy.ts); without one, the ui-extension's permissions alone decide. */
  policy?: ActionPolicy;
  logger: Logger;
  /** callerid sent to the broker, e.g. choria=rex.mcollective. */
  callerid: string;
  collectives: readonly string[];
  mainCollective: string;
  defaultDiscoveryTimeoutMs: number;
  /** How long a finished execution's events stay available. */
  retentionMs: number;
  /** Finished executions kept at most; the oldest go first. */
  maxRetained: number;
  now?: () => number;
  sleep?: Sleep;
  /** Agents run by a runner instead of one directed request, by agent name. */
  runners?: Readonly<Record<string, ActionRunner>>;
  /** Counters for /metrics (metrics/metrics.ts); absent in unit tests. */
  metrics?: ExecutionMetrics;
}

/** What the execution registry reports to /metrics. */
export interface ExecutionMetrics {
  executionStarted(): void;
  /** Once per started execution: its final state, or CRASHED when it ended on a bug. */
  executionEnded(state: ExecutionState | 'CRASHED'): void;
  /** A request refused before anything was sent, by status name. */
  executionRefused(code: string): void;
  /** One expected host's final result; with the reply latency (request sent to reply received) for replies. */
  hostResult(state: HostState, replyLatencySeconds?: number): void;
}

/** Choria nodes refuse requests whose TTL has passed; 60 s is the Go client's default. */
const MIN_TTL_SECONDS = 60;

export const realSleep: Sleep = (ms, signal) =>
  new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });

function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T | undefined> {
  if (signal.aborted) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const onAbort = (): void => resolve(undefined);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/** Identities become NATS subject tokens (choria-protocol.md §18); a bad one would publish nowhere. */
const IDENTITY = /^[^\s*>]+$/;

function checkIdentities(identities: readonly string[]): void {
  for (const identity of identities) {
    if (!IDENTITY.test(identity)) {
      throw new AppError('INVALID_ARGUMENT', `identity ${JSON.stringify(identity)} is not a valid node identity (empty, or holds spaces, * or >)`, {
        details: { input: 'identities', rule: 'identity' },
      });
    }
  }
}

/** Whether a filter selects anything: an empty one discovers every node, like no filter. */
function isEmptyFilter(filter: RequestFilter | undefined): boolean {
  return !filter || (filter.fact.length === 0 && filter.cf_class.length === 0 && filter.identity.length === 0 && filter.agent.length === 0 && filter.compound.trim() === '');
}

/** A forgotten targeting must not become the whole fleet: that has to be asked for by name. */
function checkTargeting(input: ExecuteInput): void {
  if (input.identities.length === 0 && isEmptyFilter(input.filter) && !input.allNodes) {
    throw new AppError('INVALID_ARGUMENT', 'no target: identities and filter are both empty; set all_nodes to run on every node of the collective', {
      details: { input: 'identities', rule: 'target required' },
    });
  }
}

/** Filters only matter in discovery mode; directed requests carry none of the caller's. */
function checkFilter(broker: BrokerClient, input: ExecuteInput): void {
  if (input.identities.length > 0 || !input.filter || !broker.checkFilter) return;
  const problem = broker.checkFilter(input.filter);
  if (problem) {
    throw new AppError('INVALID_ARGUMENT', `filter cannot be sent on ${broker.kind}: ${problem}`, { details: { input: 'filter.compound', rule: 'compound' } });
  }
}

interface Counters {
  responded: number;
  succeeded: number;
  failed: number;
  noResponse: number;
  cancelled: number;
  unexpected: number;
}

class RunningExecution implements Execution {
  readonly events: ExecutionEvent[] = [];
  readonly controller = new AbortController();
  readonly done: Promise<void>;
  finishedAtMs: number | undefined;
  summary: SummaryEvent | undefined;
  private readonly listeners = new Set<() => void>();
  private resolveDone: () => void = () => {};

  constructor(readonly id: string) {
    this.done = new Promise((resolve) => {
      this.resolveDone = resolve;
    });
  }

  isFinished(): boolean {
    return this.summary !== undefined;
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  append(event: ExecutionEvent): void {
    this.events.push(event);
    if (event.kind === 'summary') this.summary = event;
    for (const listener of this.listeners) {
      // A reader whose stream broke must not stop the execution or the other readers.
      try {
        listener();
      } catch {
        this.listeners.delete(listener);
      }
    }
    if (event.kind === 'summary') this.resolveDone();
  }

  nextSequence(): number {
    return this.events.length + 1;
  }
}

/** The in-memory registry of executions; events of finished ones are kept for `retentionMs`, at most `maxRetained`. */
export function createExecutionRegistry(deps: ExecutionRegistryDeps): ExecutionRegistry {
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? realSleep;
  const log = deps.logger.child({ component: 'executions' });
  const executions = new Map<string, RunningExecution>();

  function evict(): void {
    const current = now();
    let finished = 0;
    for (const execution of executions.values()) if (execution.finishedAtMs !== undefined) finished++;
    // Map order is start order, so the first finished ones met are the oldest.
    for (const [id, execution] of executions) {
      if (execution.finishedAtMs === undefined) continue;
      if (current - execution.finishedAtMs >= deps.retentionMs || finished > deps.maxRetained) {
        executions.delete(id);
        finished--;
      }
    }
  }

  function refuse(input: ExecuteInput, error: AppError, resolved?: ResolvedAction): never {
    deps.metrics?.executionRefused(error.code);
    deps.audit.record({
      executionId: input.executionId,
      requestIds: [],
      caller: input.caller,
      agent: input.agent,
      action: input.action,
      actionSpec: resolved?.action,
      arguments: typeof input.arguments === 'object' && input.arguments !== null && !Array.isArray(input.arguments) ? (input.arguments as Record<string, unknown>) : {},
      targets: input.identities,
      outcome: { state: 'rejected', error: error.message },
    });
    throw error;
  }

  function execute(input: ExecuteInput): Execution {
    evict();
    if (!input.executionId) {
      throw new AppError('INVALID_ARGUMENT', 'execution_id is required', { details: { input: 'execution_id', rule: 'required' } });
    }
    let resolved: ResolvedAction | undefined;
    let data: Record<string, unknown>;
    try {
      checkTargeting(input);
      checkIdentities(input.identities);
      checkCollective(input.collective, deps.collectives);
      checkFilter(deps.broker, input);
      resolved = resolveAction(deps.ddls, input.agent, input.action);
      data = validateArguments(resolved, input.arguments);
    } catch (error) {
      if (isAppError(error)) refuse(input, error, resolved);
      throw error;
    }
    if (deps.policy) {
      const callerid = `user=${input.caller}`;
      const decision = deps.policy.check(callerid, input.agent, input.action);
      if (!decision.allowed) {
        refuse(input, new AppError('PERMISSION_DENIED', `action policy: ${decision.reason}`, { details: { input: 'caller', rule: 'action policy' } }), resolved);
      }
    }
    const existing = executions.get(input.executionId);
    if (existing && !existing.isFinished()) {
      refuse(input, new AppError('ALREADY_EXISTS', `execution ${input.executionId} is already running`), resolved);
    }
    if (!deps.broker.isConnected()) {
      refuse(input, new AppError('UNAVAILABLE', `broker unreachable: ${deps.broker.displayUrl}`), resolved);
    }
    const execution = new RunningExecution(input.executionId);
    // Re-inserting moves a re-run of a finished id to the end of the eviction order.
    executions.delete(input.executionId);
    executions.set(input.executionId, execution);
    deps.metrics?.executionStarted();
    void run(execution, input, resolved, data).then(
      (state) => deps.metrics?.executionEnded(state),
      (error: unknown) => {
        deps.metrics?.executionEnded('CRASHED');
        log.error({ err: error, executionId: input.executionId }, 'execution crashed');
      },
    );
    return execution;
  }

  async function run(execution: RunningExecution, input: ExecuteInput, resolved: ResolvedAction, data: Record<string, unknown>): Promise<ExecutionState> {
    const startedAtMs = now();
    const signal = execution.controller.signal;
    const collective = input.collective || deps.mainCollective;
    const timeoutSeconds = input.timeoutSeconds > 0 ? input.timeoutSeconds : resolved.agent.metadata.timeout;
    const deadlineMs = input.deadlineMs && input.deadlineMs > 0 ? input.deadlineMs : Number.POSITIVE_INFINITY;
    const counters: Counters = { responded: 0, succeeded: 0, failed: 0, noResponse: 0, cancelled: 0, unexpected: 0 };
    /** Hosts with a final result; a host never gets two. */
    const final = new Set<string>();
    /** Hosts whose request was handed to the broker (or to a runner). */
    const sent = new Set<string>();
    /** Asked hosts refused by security, with the broker client's words for why. */
    const refused = new Map<string, string>();
    const requestIds: string[] = [];
    let expected = new Set<string>();
    let targets: string[] = [];
    // Set inside the batch helpers too, so its type must not narrow to the initial value.
    let state = 'COMPLETED' as ExecutionState;
    let message = '';
    let batchSentAtMs = startedAtMs;
    let announced = false;
    /** What becomes of hosts whose batch never left, once the loop stops early. */
    let notSent: { state: 'CANCELLED' | 'FAILED'; reason: string } = { state: 'CANCELLED', reason: 'not sent: the execution was cancelled before its batch left' };
    // Every stream starts with `started`, even when discovery fails before any target is known.
    const announce = (): void => {
      if (announced) return;
      announced = true;
      execution.append({ kind: 'started', sequence: execution.nextSequence(), executionId: execution.id, requestId: '', expectedIdentities: targets, reportsSent: true });
    };

    const hostResult = (identity: string, hostState: HostState, fields: Partial<HostResultEvent> & { unexpected: boolean }): void => {
      final.add(identity);
      if (!fields.unexpected) deps.metrics?.hostResult(hostState, fields.receivedAtMs ? (fields.receivedAtMs - (fields.sentAtMs ?? batchSentAtMs)) / 1000 : undefined);
      execution.append({
        kind: 'result',
        sequence: execution.nextSequence(),
        identity,
        state: hostState,
        statuscode: -1,
        statusmsg: '',
        dataJson: '{}',
        sentAtMs: batchSentAtMs,
        receivedAtMs: 0,
        cause: 'UNSPECIFIED',
        reason: '',
        ...fields,
      });
    };

    // A reply that echoes a sensitive argument (a task printing its token) is masked here, before
    // any event, stream or log sees it.
    const secrets = secretTexts(resolved.action, data);
    const runner = deps.runners?.[input.agent];

    const onReply = (reply: NodeReply): void => {
      // One lookup for "already final?" and "now final" (issue 20): add() leaves the size as it was for a host already in.
      const finalBefore = final.size;
      final.add(reply.identity);
      if (final.size === finalBefore) return;
      const unexpected = !expected.has(reply.identity);
      const hostState: HostState = reply.statuscode === 0 ? 'SUCCEEDED' : 'FAILED';
      // Unexpected replies are counted apart so that expected = succeeded + failed + no_response + cancelled.
      if (unexpected) counters.unexpected++;
      else {
        counters.responded++;
        if (hostState === 'SUCCEEDED') counters.succeeded++;
        else counters.failed++;
      }
      // The event written out in full, not hostResult's defaults and spread: this runs once per reply (issue 20).
      const dataJson = reply.dataJson ?? JSON.stringify(reply.data ?? {});
      if (!unexpected) deps.metrics?.hostResult(hostState, reply.receivedAtMs ? (reply.receivedAtMs - batchSentAtMs) / 1000 : undefined);
      execution.append({
        kind: 'result',
        sequence: execution.nextSequence(),
        identity: reply.identity,
        state: hostState,
        statuscode: reply.statuscode,
        statusmsg: secrets.length > 0 ? maskSecretsInJson(reply.statusmsg, secrets) : reply.statusmsg,
        dataJson: secrets.length > 0 ? maskSecretsInJson(dataJson, secrets) : dataJson,
        sentAtMs: batchSentAtMs,
        receivedAtMs: reply.receivedAtMs,
        unexpected,
        cause: 'UNSPECIFIED',
        reason: '',
      });
    };

    /** Whether every expected host has its final result: each adds one to exactly one of these counters. */
    const allFinal = (): boolean => counters.succeeded + counters.failed + counters.noResponse + counters.cancelled === expected.size;

    /**
     * The final event of a host without a reply, by what happened to it: never sent (it did not run),
     * refused by security, or asked and silent (it may have run). `silence` says why an asked host is silent.
     */
    const endSilent = (identity: string, silence: string): void => {
      if (final.has(identity)) return;
      if (!sent.has(identity)) {
        if (notSent.state === 'FAILED') counters.failed++;
        else counters.cancelled++;
        hostResult(identity, notSent.state, { statusmsg: notSent.reason, sentAtMs: 0, cause: 'NOT_SENT', reason: notSent.reason, unexpected: false });
      } else if (refused.has(identity)) {
        counters.failed++;
        hostResult(identity, 'FAILED', { statusmsg: 'refused by security', cause: 'SECURITY', reason: refused.get(identity)!, unexpected: false });
      } else if (signal.aborted) {
        counters.cancelled++;
        hostResult(identity, 'CANCELLED', { statusmsg: 'cancelled before the host replied', cause: 'NO_REPLY', reason: 'asked; the execution was cancelled before the host replied', unexpected: false });
      } else {
        counters.noResponse++;
        hostResult(identity, 'NO_RESPONSE', { statusmsg: 'no response before the timeout', cause: 'NO_REPLY', reason: silence, unexpected: false });
      }
    };

    /** Sends one batch, again after a reconnect for what the broker could not publish; false when the loop must stop. */
    const sendBatch = async (batchNumber: number, batch: string[], request: Parameters<BrokerClient['callDirected']>[0]['request']): Promise<boolean> => {
      let remaining = batch;
      while (remaining.length > 0) {
        if (signal.aborted) return false;
        if (deps.broker.awaitReady) {
          // MCollective: wait for the broker to come back (and the nodes to resubscribe) as long as the
          // batch still gets its whole reply timeout before the deadline; without a deadline, one timeout.
          const until = Number.isFinite(deadlineMs) ? Math.max(now(), deadlineMs - timeoutSeconds * 1000) : now() + timeoutSeconds * 1000;
          const ready = await deps.broker.awaitReady(remaining, collective, until, signal);
          if (signal.aborted) return false;
          if (!ready) {
            state = 'BROKER_FAILED';
            message = `broker unreachable: ${deps.broker.displayUrl}`;
            notSent = { state: 'FAILED', reason: `not sent: the broker ${deps.broker.displayUrl} was unreachable ${Number.isFinite(deadlineMs) ? "until less than one reply timeout was left before the job's deadline" : 'for a whole reply timeout'}` };
            log.error({ executionId: execution.id, batch: batchNumber, notSent: targets.length - sent.size }, 'broker unreachable; the rest of the execution is not sent');
            return false;
          }
        }
        if (now() >= deadlineMs) return pastDeadline(batchNumber);
        batchSentAtMs = now();
        // Announced before the publish: a proxy stopped in between reports a host asked that was not,
        // never the reverse (a host that ran while the ui-extension records it as never sent).
        for (const identity of remaining) sent.add(identity);
        execution.append({ kind: 'sent', sequence: execution.nextSequence(), batch: batchNumber, identities: remaining, sentAtMs: batchSentAtMs });
        const waitMs = Math.max(0, Math.min(timeoutSeconds * 1000, deadlineMs - batchSentAtMs));
        const silence = waitMs < timeoutSeconds * 1000 ? "asked; no reply before the job's deadline" : `asked; no reply within the ${timeoutSeconds} s timeout`;
        const result = runner
          ? await runner.run({ executionId: execution.id, action: input.action, data, identities: remaining, collective, callerid: deps.callerid, timeoutSeconds: waitMs / 1000, signal, onReply })
          : await deps.broker.callDirected({ request, identities: remaining, onReply, signal, timeoutMs: waitMs });
        requestIds.push(...('requestIds' in result ? result.requestIds : [result.requestId]));
        const unsent = new Set('unsent' in result ? (result.unsent ?? []) : []);
        for (const { identity, reason } of 'refused' in result ? (result.refused ?? []) : []) refused.set(identity, reason);
        for (const identity of unsent) sent.delete(identity);
        // A runner may know better than "no reply" why a host is silent (a Puppet run still applying).
        const silentReasons = 'silentReasons' in result ? result.silentReasons : undefined;
        // Skipped when every expected host already has its result (the usual end): 2 x hosts calls less per job (issue 20).
        if (!allFinal()) for (const identity of remaining) if (!unsent.has(identity)) endSilent(identity, silentReasons?.get(identity) ?? silence);
        remaining = unsent.size === 0 ? [] : remaining.filter((identity) => unsent.has(identity));
      }
      return true;
    };

    const pastDeadline = (batchNumber: number): false => {
      state = 'DEADLINE_PASSED';
      notSent = { state: 'CANCELLED', reason: `not sent: the job's deadline passed before batch ${batchNumber} left` };
      log.warn({ executionId: execution.id, batch: batchNumber, notSent: targets.length - sent.size }, 'deadline passed; the rest of the execution is not sent');
      return false;
    };

    try {
      if (input.identities.length > 0) {
        targets = [...new Set(input.identities)];
      } else {
        const filter = input.filter ?? { fact: [], cf_class: [], identity: [], agent: [], compound: '' };
        // Nodes without the agent would answer discovery but never the request.
        const brokerAgent = runner?.brokerAgent ?? input.agent;
        const withAgent = filter.agent.includes(brokerAgent) ? filter : { ...filter, agent: [...filter.agent, brokerAgent] };
        const discoveryTimeoutMs = input.discoveryTimeoutMs || deps.defaultDiscoveryTimeoutMs;
        targets = [...new Set((await untilAborted(deps.broker.discover(withAgent, collective, discoveryTimeoutMs), signal)) ?? [])];
      }
      expected = new Set(targets);
      announce();

      const batchSize = input.batchSize > 0 ? input.batchSize : Math.max(targets.length, 1);
      const request = {
        agent: input.agent,
        action: input.action,
        data,
        collective,
        callerid: deps.callerid,
        ttlSeconds: Math.max(MIN_TTL_SECONDS, timeoutSeconds),
        inputTypes: Object.fromEntries([...resolved.action.inputs.values()].map((spec) => [spec.name, spec.type])),
      };
      for (let offset = 0, batchNumber = 1; offset < targets.length && !signal.aborted; offset += batchSize, batchNumber++) {
        if (offset > 0 && input.batchSleepMs > 0) {
          await sleep(Math.min(input.batchSleepMs, Math.max(0, deadlineMs - now())), signal);
          if (signal.aborted) break;
        }
        if (now() >= deadlineMs) {
          pastDeadline(batchNumber);
          break;
        }
        if (!(await sendBatch(batchNumber, targets.slice(offset, offset + batchSize), request))) break;
      }
      if (signal.aborted) state = 'CANCELLED';
    } catch (error) {
      state = 'BROKER_FAILED';
      message = `broker failed: ${(error as Error).message}`;
      notSent = { state: 'FAILED', reason: `not sent: ${message}` };
      log.error({ err: error, executionId: execution.id }, 'broker failed during an execution');
    }
    announce();
    // Hosts of batches never sent (cancel, deadline, broker) or cut off by a broker failure.
    if (!allFinal()) for (const identity of targets) endSilent(identity, state === 'BROKER_FAILED' ? `asked; ${message} before the host replied` : 'asked; no reply before the execution ended');
    if (state === 'CANCELLED') message = 'cancelled';
    if (state === 'DEADLINE_PASSED') message = `deadline passed; ${targets.length - sent.size} hosts not sent`;

    const durationMs = now() - startedAtMs;
    const summary: SummaryEvent = {
      kind: 'summary',
      sequence: execution.nextSequence(),
      state,
      expected: targets.length,
      ...counters,
      durationMs,
      message,
    };
    execution.finishedAtMs = now();
    execution.append(summary);
    log.info({ executionId: execution.id, agent: input.agent, action: input.action, state, expected: targets.length, responded: counters.responded, notSent: targets.length - sent.size, durationMs }, 'execution finished');
    deps.audit.record({
      executionId: execution.id,
      requestIds,
      caller: input.caller,
      agent: input.agent,
      action: input.action,
      actionSpec: resolved.action,
      arguments: data,
      targets,
      outcome: {
        state: state.toLowerCase(),
        succeeded: counters.succeeded,
        failed: counters.failed,
        no_response: counters.noResponse,
        cancelled: counters.cancelled,
        unexpected: counters.unexpected,
      },
      durationMs,
    });
    return state;
  }

  function get(id: string): Execution | undefined {
    evict();
    return executions.get(id);
  }

  async function cancel(id: string): Promise<CancelOutcome> {
    const execution = executions.get(id);
    if (!execution) return { found: false, cancelledHosts: 0 };
    if (execution.isFinished()) return { found: true, cancelledHosts: 0 };
    execution.controller.abort();
    await execution.done;
    return { found: true, cancelledHosts: execution.summary?.cancelled ?? 0 };
  }

  async function shutdown(): Promise<void> {
    const running = [...executions.values()].filter((execution) => !execution.isFinished());
    for (const execution of running) execution.controller.abort();
    await Promise.all(running.map((execution) => execution.done));
  }

  return { execute, get, cancel, shutdown };
}
