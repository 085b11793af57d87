/**
 * MCollective 2.x messages with the psk security plugin (mcollective/security/psk.rb and
 * security/base.rb of 2.12, as observed on the wire in shared/research/mcollective-real.md):
 *
 *   request  = Marshal({:body => Marshal(body), :senderid, :requestid, :filter, :collective,
 *                       :agent, :callerid, :ttl, :msgtime, :hash => md5_hex(body bytes + psk)})
 *   reply    = Marshal({:senderid, :requestid, :senderagent, :msgtime, :body, :hash})
 *
 * The hash covers the inner body bytes only (not the envelope), so it is computed once per request
 * and the same bytes go to every directed target. A reply whose hash does not match is refused.
 */
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';

import { isIntegerNumber, isJsonNumber } from '@protos/json-numbers';

import type { FactFilter, RequestFilter } from '../broker-client';
import { parseCompoundFilter, type CompoundCallstack } from './compound-filter';
import { MarshalFormatError, readMarshal, type RubyValue } from './marshal-reader';
import { rubyToJson, rubyToS } from './ruby-json';
import { marshalDump, marshalLoad, rubyFloat, symbolHash } from './ruby-marshal';

/** The discovery agent's request and reply bodies (mc discovery method). */
export const DISCOVERY_AGENT = 'discovery';
export const DISCOVERY_REQUEST = 'ping';
export const DISCOVERY_REPLY = 'pong';

/** mcollectived refuses a callerid of any other shape (security/base.rb valid_callerid?). */
export const CALLERID_PATTERN = /^[\w]+=[\w.-]+$/;

/** Raised for anything that does not decode or verify; callers drop the message and count it. */
export class McollectiveProtocolError extends Error {
  override readonly name = 'McollectiveProtocolError';
}

/** 32 hex characters, as MCollective's SSL.uuid without dashes. */
export function newRequestId(): string {
  return randomUUID().replace(/-/g, '');
}

/** The psk plugin's hash: `Digest::MD5.hexdigest(serialized_body + psk)`. */
export function pskHash(body: Uint8Array, psk: string): string {
  return createHash('md5').update(body).update(psk, 'utf8').digest('hex');
}

/** The filter as mcollectived reads it: String outer keys, Symbol keys inside fact entries. */
export interface WireFilter {
  fact: Array<Record<symbol, string>>;
  cf_class: string[];
  agent: string[];
  identity: string[];
  compound: CompoundCallstack[];
}

/**
 * Ruby's fact operators are the same as Choria's (==, =~, !=, <=, >=, <, >); a bare `=` is what
 * `mco -F a=b` writes before Util.parse_fact_string turns it into `==`.
 */
function wireFact(filter: FactFilter): Record<symbol, string> {
  const operator = filter.operator === '=' || filter.operator === '' ? '==' : filter.operator;
  return symbolHash({ fact: filter.fact, value: filter.value, operator }) as Record<symbol, string>;
}

/** Throws McollectiveProtocolError for a compound expression mcollectived could not evaluate. */
export function toWireFilter(filter: Partial<RequestFilter> | undefined): WireFilter {
  return {
    fact: (filter?.fact ?? []).map(wireFact),
    cf_class: [...(filter?.cf_class ?? [])],
    agent: [...(filter?.agent ?? [])],
    identity: [...(filter?.identity ?? [])],
    compound: filter?.compound ? [parseCompoundFilter(filter.compound)] : [],
  };
}

export interface RpcBodyInput {
  agent: string;
  action: string;
  /** Ruby `caller` inside the body: the callerid. */
  caller: string;
  data: Record<string, unknown>;
  /** DDL input types by name; `float` inputs are sent as Ruby Floats even when whole. */
  inputTypes?: Readonly<Record<string, string>>;
}

/**
 * A JSON value as the Ruby value `mco rpc` would send: a number written with a fraction or an
 * exponent (`2.0`, `1e3`) is a Float, one without is an Integer; a JS number (not parsed exactly)
 * is a Float when the DDL says float or when it is not whole.
 */
function rubyValue(value: unknown, type: string | undefined): unknown {
  if (isJsonNumber(value)) return isIntegerNumber(value) ? Number(value.value) : rubyFloat(Number(value.value));
  if (typeof value === 'number' && (type === 'float' || (type === 'number' && !Number.isInteger(value)))) return rubyFloat(value);
  if (Array.isArray(value)) return value.map((v) => rubyValue(v, undefined));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value as Record<string, unknown>)) out[key] = rubyValue(inner, undefined);
    return out;
  }
  return value;
}

/**
 * The SimpleRPC request body. Data keys are Symbols, as RPC::Request reads them; `process_results`
 * true asks the agent to reply (RPC::Request#should_respond?), as `mco rpc` does.
 */
export function encodeRpcBody(input: RpcBodyInput): Uint8Array {
  const data: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input.data)) data[key] = rubyValue(value, input.inputTypes?.[key]);
  data.process_results = true;
  return marshalDump(symbolHash({ agent: input.agent, action: input.action, caller: input.caller, data: symbolHash(data) }));
}

export function encodeDiscoveryBody(): Uint8Array {
  return marshalDump(DISCOVERY_REQUEST);
}

export interface EncodeRequestInput {
  body: Uint8Array;
  senderid: string;
  requestid: string;
  filter: WireFilter;
  collective: string;
  agent: string;
  callerid: string;
  ttl: number;
  /** Epoch seconds; nodes drop a request older than its ttl. */
  msgtime: number;
  psk: string;
}

/** Builds the envelope once; the same bytes go to every target of a directed request. */
export function encodeRequest(input: EncodeRequestInput): Uint8Array {
  if (!CALLERID_PATTERN.test(input.callerid)) {
    throw new McollectiveProtocolError(`callerid ${input.callerid} must look like name=value (letters, digits, _, . and - only)`);
  }
  if (!Number.isInteger(input.ttl) || input.ttl < 1) throw new McollectiveProtocolError(`ttl must be a positive whole number of seconds, got ${input.ttl}`);
  return marshalDump(
    symbolHash({
      body: input.body,
      senderid: input.senderid,
      requestid: input.requestid,
      filter: input.filter,
      collective: input.collective,
      agent: input.agent,
      callerid: input.callerid,
      ttl: input.ttl,
      msgtime: input.msgtime,
      hash: pskHash(input.body, input.psk),
    }),
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

function asText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
  return String(value ?? '');
}

function hashMatches(expected: string, given: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(given, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * A message whose psk hash does not match its body: sent with another psk, or altered on the way.
 * The envelope is not covered by the hash, so `senderid` and `requestid` are claims, not facts; they
 * say whose answer to which request failed the check.
 */
export class PskCheckError extends McollectiveProtocolError {
  constructor(message: string, readonly senderid: string, readonly requestid: string) {
    super(message);
  }
}

function loadEnvelope(payload: Uint8Array, psk: string, what: string): { envelope: Record<string, unknown>; body: Uint8Array } {
  let envelope: unknown;
  try {
    envelope = marshalLoad(payload);
  } catch (cause) {
    throw new McollectiveProtocolError(`${what} is not Ruby Marshal data: ${(cause as Error).message}`);
  }
  if (!isRecord(envelope) || !(envelope.body instanceof Uint8Array)) throw new McollectiveProtocolError(`${what} is not a psk envelope`);
  if (!hashMatches(pskHash(envelope.body, psk), asText(envelope.hash))) {
    throw new PskCheckError(`${what} failed the psk check: its hash does not match its body`, asText(envelope.senderid), asText(envelope.requestid));
  }
  return { envelope, body: envelope.body };
}

function loadBody(body: Uint8Array, what: string): unknown {
  try {
    return marshalLoad(body);
  } catch (cause) {
    throw new McollectiveProtocolError(`${what} body is not Ruby Marshal data: ${(cause as Error).message}`);
  }
}

/** A reply body keeps its Ruby types (exact Integers, Floats, Time, ...): see marshal-reader.ts. */
function loadReplyBody(body: Uint8Array): RubyValue {
  try {
    return readMarshal(body);
  } catch (cause) {
    if (cause instanceof MarshalFormatError) throw new McollectiveProtocolError(`reply body is not Ruby Marshal data: ${cause.message}`);
    throw cause;
  }
}

export interface DecodedReply {
  senderid: string;
  requestid: string;
  senderagent: string;
  msgtime: number;
  /** `pong` from discovery, or the SimpleRPC reply Hash, as Ruby values (see decodeRpcReply). */
  body: RubyValue;
}

/** Decodes a reply and checks its psk hash; throws McollectiveProtocolError when either fails. */
export function decodeReply(payload: Uint8Array, psk: string): DecodedReply {
  const { envelope, body } = loadEnvelope(payload, psk, 'reply');
  return {
    senderid: asText(envelope.senderid),
    requestid: asText(envelope.requestid),
    senderagent: asText(envelope.senderagent),
    msgtime: Number(envelope.msgtime),
    body: loadReplyBody(body),
  };
}

export interface RpcReply {
  statuscode: number;
  statusmsg: string;
  /** The data as JS values (numbers as doubles), for the proxy's own use (inventory, tasks). */
  data: Record<string, unknown>;
  /** The data as `mco rpc --json` prints it, exact: what is stored and served (ruby-json.ts). */
  dataJson: string;
}

function member(hash: Extract<RubyValue, { kind: 'hash' }>, name: string): RubyValue | undefined {
  return hash.entries.find(([key]) => key !== null && typeof key === 'object' && (key.kind === 'symbol' || key.kind === 'string') && rubyToS(key) === name)?.[1];
}

/** The SimpleRPC reply `{:statuscode, :statusmsg, :data}`: its data as exact JSON text and as JS values. */
export function decodeRpcReply(body: RubyValue): RpcReply {
  const statuscode = body !== null && typeof body === 'object' && body.kind === 'hash' ? member(body, 'statuscode') : undefined;
  if (body === null || typeof body !== 'object' || body.kind !== 'hash' || statuscode === null || typeof statuscode !== 'object' || statuscode?.kind !== 'integer') {
    throw new McollectiveProtocolError('reply body is not a SimpleRPC reply');
  }
  const data = member(body, 'data');
  const dataJson = data !== null && typeof data === 'object' && data.kind === 'hash' ? rubyToJson(data) : '{}';
  const statusmsg = member(body, 'statusmsg');
  return { statuscode: Number(statuscode.value), statusmsg: statusmsg === undefined ? '' : rubyToS(statusmsg), data: JSON.parse(dataJson) as Record<string, unknown>, dataJson };
}

export function isDiscoveryReply(body: RubyValue): boolean {
  return body !== null && typeof body === 'object' && body.kind === 'string' && rubyToS(body) === DISCOVERY_REPLY;
}

/* ---- the node side: what mcollectived does, for test doubles of a node (never used by the proxy) ---- */

export interface DecodedRequest {
  senderid: string;
  requestid: string;
  collective: string;
  agent: string;
  callerid: string;
  ttl: number;
  msgtime: number;
  filter: unknown;
  body: unknown;
}

/** Decodes a request as a node would, including the psk check. */
export function decodeRequest(payload: Uint8Array, psk: string): DecodedRequest {
  const { envelope, body } = loadEnvelope(payload, psk, 'request');
  return {
    senderid: asText(envelope.senderid),
    requestid: asText(envelope.requestid),
    collective: asText(envelope.collective),
    agent: asText(envelope.agent),
    callerid: asText(envelope.callerid),
    ttl: Number(envelope.ttl),
    msgtime: Number(envelope.msgtime),
    filter: envelope.filter,
    body: loadBody(body, 'request'),
  };
}

export interface EncodeReplyInput {
  senderid: string;
  requestid: string;
  senderagent: string;
  msgtime: number;
  /** Marshal bytes of the reply body. */
  body: Uint8Array;
  /** The hash to send; a node sends pskHash(body, psk). */
  hash: string;
}

export function encodeReply(input: EncodeReplyInput): Uint8Array {
  return marshalDump(
    symbolHash({ senderid: input.senderid, requestid: input.requestid, senderagent: input.senderagent, msgtime: input.msgtime, body: input.body, hash: input.hash }),
  );
}

export function encodeRpcReplyBody(reply: Omit<RpcReply, 'dataJson'>): Uint8Array {
  return marshalDump(symbolHash({ statuscode: reply.statuscode, statusmsg: reply.statusmsg, data: symbolHash(reply.data) }));
}

