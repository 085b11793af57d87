/**
 * Choria protocol v1 codec: the four nested layers (transport -> secure request/reply -> request/reply ->
 * mcorpc body), request ids, reply subjects and x509 / insecure security. Layout and rules follow
 * go-choria `protocol/v1/*` as summarised in choria-protocol.md §3 and §5; where the published schemas
 * disagree with the Go code (e.g. "Base64" secure messages), this follows the Go code.
 */
import { createHash, createPrivateKey, createPublicKey, hash, KeyObject, randomUUID, sign, verify, X509Certificate } from 'node:crypto';

import type { FactFilter, RequestFilter } from '../broker-client';
import { isIntegerNumber, isJsonNumber, parseExact, stringifyExact, toPlainNumbers } from '@protos/json-numbers';

export const TRANSPORT_PROTOCOL = 'choria:transport:1';
export const SECURE_REQUEST_PROTOCOL = 'choria:secure:request:1';
export const SECURE_REPLY_PROTOCOL = 'choria:secure:reply:1';
export const REQUEST_PROTOCOL = 'choria:request:1';
export const REPLY_PROTOCOL = 'choria:reply:1';

/** Nodes reject a v1 request whose ttl is below this (schema `minimum`). */
export const MIN_TTL_SECONDS = 30;
/** Base64 of "ping": the discovery body. The raw word `ping` is itself valid Base64 and decodes to garbage. */
export const DISCOVERY_BODY = 'cGluZw==';
export const DISCOVERY_REPLY_BODY = 'pong';
export const INSECURE = 'insecure';

/** The exact shape of `envelope.filter` that the go-choria embedded schema enforces. */
export interface WireFilter {
  fact: FactFilter[];
  cf_class: string[];
  identity: string[];
  agent?: string[];
  compound: Array<Array<{ expr: string }>>;
}

export interface RequestEnvelope {
  requestid: string;
  senderid: string;
  callerid: string;
  collective: string;
  agent: string;
  ttl: number;
  time: number;
  filter: WireFilter;
}

export interface RequestV1 {
  protocol: typeof REQUEST_PROTOCOL;
  message: string;
  envelope: RequestEnvelope;
}

export interface SecureRequestV1 {
  protocol: typeof SECURE_REQUEST_PROTOCOL;
  message: string;
  signature: string;
  pubcert: string;
}

export interface ReplyEnvelope {
  requestid: string;
  senderid: string;
  agent: string;
  time: number;
}

export interface ReplyV1 {
  protocol: typeof REPLY_PROTOCOL;
  message: string;
  envelope: ReplyEnvelope;
}

export interface SecureReplyV1 {
  protocol: typeof SECURE_REPLY_PROTOCOL;
  message: string;
  hash: string;
}

export interface TransportHeaders {
  'reply-to'?: string;
  mc_sender?: string;
  'seen-by'?: string[][];
  federation?: Record<string, unknown>;
}

export interface TransportV1 {
  protocol: typeof TRANSPORT_PROTOCOL;
  data: string;
  headers: TransportHeaders;
}

export interface McorpcRequestBody {
  agent: string;
  action: string;
  data: Record<string, unknown>;
}

export interface McorpcReplyBody {
  action?: string;
  statuscode: number;
  statusmsg: string;
  data: Record<string, unknown>;
  /** The data with every number as the node wrote it (decodeMcorpcReply sets it). */
  dataJson?: string;
}

export type SecurityOptions = { mode: 'insecure' } | { mode: 'x509'; certPem: string; keyPem: string };

/** Raised for anything that does not decode or verify; callers drop the message and count it. */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
}

/** 32 lowercase hex chars: a UUIDv4 without dashes, as go-choria generates them. */
export function newRequestId(): string {
  return randomUUID().replace(/-/g, '');
}

export function md5Hex(text: string): string {
  return createHash('md5').update(text, 'utf8').digest('hex');
}

/**
 * Choria brokers that authorise by JWT only let a client subscribe below `*.reply.<md5hex(callerid)>.>`,
 * so this shape is mandatory in practice even though nodes publish wherever `reply-to` says.
 */
export function replySubject(collective: string, callerid: string, requestId: string): string {
  return `${collective}.reply.${md5Hex(callerid)}.${requestId}`;
}

export function nodeSubject(collective: string, identity: string): string {
  return `${collective}.node.${identity}`;
}

export function broadcastSubject(collective: string, agent: string): string {
  return `${collective}.broadcast.agent.${agent}`;
}

export function unixSeconds(nowMs: number = Date.now()): number {
  return Math.floor(nowMs / 1000);
}

/**
 * Nodes drop a request whose filter lacks any of the four arrays (null included). Only one compound
 * expression is ever sent because the Go matcher sums ±1 per expression instead of ANDing them.
 */
export function toWireFilter(filter?: Partial<RequestFilter>): WireFilter {
  const agent = filter?.agent && filter.agent.length > 0 ? [...filter.agent] : undefined;
  // Key order is go-choria's struct order, so that encoded requests are byte-identical to Go's.
  return {
    fact: (filter?.fact ?? []).map((f) => ({ fact: f.fact, operator: f.operator, value: f.value })),
    cf_class: [...(filter?.cf_class ?? [])],
    ...(agent ? { agent } : {}),
    identity: [...(filter?.identity ?? [])],
    compound: filter?.compound ? [[{ expr: filter.compound }]] : [],
  };
}

export function emptyFilter(): RequestFilter {
  return { fact: [], cf_class: [], identity: [], agent: [], compound: '' };
}

/** Signs request JSON bytes; built once per client so the key is parsed once, not per request. */
export interface RequestSigner {
  readonly mode: SecurityOptions['mode'];
  readonly pubcert: string;
  sign(requestJson: string): string;
}

export function createRequestSigner(security: SecurityOptions): RequestSigner {
  if (security.mode === 'insecure') {
    return { mode: 'insecure', pubcert: INSECURE, sign: () => INSECURE };
  }
  const key = createPrivateKey(security.keyPem);
  if (key.asymmetricKeyType !== 'rsa') {
    throw new ProtocolError(`x509 signing needs an RSA key, got ${String(key.asymmetricKeyType)}`);
  }
  // Validate the certificate now rather than on the first request; Go sends the PEM file verbatim.
  new X509Certificate(security.certPem);
  const certPem = security.certPem;
  return {
    mode: 'x509',
    pubcert: certPem,
    sign: (requestJson) => sign('sha256', Buffer.from(requestJson, 'utf8'), key).toString('base64'),
  };
}

export interface EncodeRequestInput {
  /** The mcorpc body as JSON text, or {@link DISCOVERY_BODY}. */
  message: string;
  requestid: string;
  senderid: string;
  callerid: string;
  collective: string;
  agent: string;
  ttl: number;
  time: number;
  filter: WireFilter;
  replyTo: string;
}

export interface EncodedRequest {
  requestId: string;
  /** The exact request JSON that was signed. */
  requestJson: string;
  /** The complete NATS payload; publish these same bytes to every directed target. */
  payload: Uint8Array;
}

/** Builds and signs the request once; the returned bytes are reused for every target and batch. */
export function encodeRequest(input: EncodeRequestInput, signer: RequestSigner): EncodedRequest {
  if (input.requestid.length !== 32) throw new ProtocolError(`request id must be 32 characters: ${input.requestid}`);
  if (!Number.isInteger(input.ttl) || input.ttl < MIN_TTL_SECONDS) {
    throw new ProtocolError(`ttl must be an integer >= ${MIN_TTL_SECONDS}, got ${input.ttl}`);
  }
  if (input.message.length === 0) throw new ProtocolError('request message must not be empty');
  const request: RequestV1 = {
    protocol: REQUEST_PROTOCOL,
    message: input.message,
    envelope: {
      requestid: input.requestid,
      senderid: input.senderid,
      callerid: input.callerid,
      collective: input.collective,
      agent: input.agent,
      ttl: input.ttl,
      time: input.time,
      filter: input.filter,
    },
  };
  const requestJson = JSON.stringify(request);
  const secure: SecureRequestV1 = {
    protocol: SECURE_REQUEST_PROTOCOL,
    message: requestJson,
    signature: signer.sign(requestJson),
    pubcert: signer.pubcert,
  };
  const transport: TransportV1 = {
    protocol: TRANSPORT_PROTOCOL,
    data: Buffer.from(JSON.stringify(secure), 'utf8').toString('base64'),
    headers: { 'reply-to': input.replyTo, mc_sender: input.senderid },
  };
  return { requestId: input.requestid, requestJson, payload: Buffer.from(JSON.stringify(transport), 'utf8') };
}

export function encodeMcorpcRequest(body: McorpcRequestBody): string {
  // Exact numbers: a Ruby node reads `2.0` as a Float and `2` as an Integer.
  return stringifyExact({ agent: body.agent, action: body.action, data: body.data ?? {} });
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new ProtocolError(`${what} is not JSON: ${(cause as Error).message}`);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parses the NATS payload; schema validation is the caller's business (nodes do it, clients do not). */
export function decodeTransport(payload: Uint8Array | string): TransportV1 {
  const text = typeof payload === 'string' ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8');
  const transport = parseJson(text, 'transport');
  if (!isObject(transport) || transport.protocol !== TRANSPORT_PROTOCOL || typeof transport.data !== 'string') {
    throw new ProtocolError('not a choria:transport:1 message');
  }
  if (!isObject(transport.headers)) transport.headers = {};
  return transport as unknown as TransportV1;
}

/** Node's Buffer base64 decoder skips whitespace, so Ruby's MIME-style line breaks decode as well. */
function decodeTransportData(transport: TransportV1): unknown {
  return parseJson(Buffer.from(transport.data, 'base64').toString('utf8'), 'transport data');
}

export function decodeSecureRequest(transport: TransportV1): SecureRequestV1 {
  const secure = decodeTransportData(transport);
  if (!isObject(secure) || secure.protocol !== SECURE_REQUEST_PROTOCOL) {
    throw new ProtocolError('not a choria:secure:request:1 message');
  }
  return secure as unknown as SecureRequestV1;
}

export function decodeRequest(secure: SecureRequestV1): RequestV1 {
  const request = parseJson(secure.message, 'request');
  if (!isObject(request) || request.protocol !== REQUEST_PROTOCOL || !isObject(request.envelope)) {
    throw new ProtocolError('not a choria:request:1 message');
  }
  return request as unknown as RequestV1;
}

const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Go nodes try Base64 first and fall back to the raw text; JSON bodies never pass (`{` is not Base64). */
export function decodeRequestBody(message: string): string {
  if (message.length > 0 && STRICT_BASE64.test(message)) return Buffer.from(message, 'base64').toString('utf8');
  return message;
}

/** Verifies a secure request. Insecure requests pass only when the caller explicitly allows them. */
export interface SignatureVerifier {
  verify(secure: SecureRequestV1): boolean;
}

/**
 * Checks the RSA SHA-256 signature against the key in `pubcert`. Keys are cached per PEM text because a
 * fleet sees the same certificate on every request. Chain and callerid checks are left to real nodes.
 */
export function createSignatureVerifier(options: { allowInsecure: boolean }): SignatureVerifier {
  const keys = new Map<string, KeyObject>();
  return {
    verify(secure) {
      if (secure.signature === INSECURE || secure.pubcert === INSECURE) {
        return options.allowInsecure && secure.signature === INSECURE && secure.pubcert === INSECURE;
      }
      let key = keys.get(secure.pubcert);
      if (!key) {
        try {
          key = createPublicKey(new X509Certificate(secure.pubcert).publicKey.export({ type: 'spki', format: 'pem' }));
        } catch {
          return false;
        }
        keys.set(secure.pubcert, key);
      }
      return verify('sha256', Buffer.from(secure.message, 'utf8'), key, Buffer.from(secure.signature, 'base64'));
    },
  };
}

export interface EncodeReplyInput {
  requestid: string;
  senderid: string;
  agent: string;
  time: number;
  /** The mcorpc reply JSON text, or {@link DISCOVERY_REPLY_BODY}. */
  message: string;
  /** Nodes copy the request's federation header unchanged. */
  federation?: Record<string, unknown>;
}

/** Node >= 20.12 has the one-shot crypto.hash: a third of createHash().update().digest()'s cost on a reply (issue 20). */
const hasOneShotHash = typeof hash === 'function';

export function sha256Base64(text: string): string {
  return hasOneShotHash ? hash('sha256', text, 'base64') : createHash('sha256').update(text, 'utf8').digest('base64');
}

/** v1 replies are not signed: the secure reply only carries a SHA-256 of the reply JSON. */
export function encodeReply(input: EncodeReplyInput): Uint8Array {
  const reply: ReplyV1 = {
    protocol: REPLY_PROTOCOL,
    message: input.message,
    envelope: { requestid: input.requestid, senderid: input.senderid, agent: input.agent, time: input.time },
  };
  const replyJson = JSON.stringify(reply);
  const secure: SecureReplyV1 = { protocol: SECURE_REPLY_PROTOCOL, message: replyJson, hash: sha256Base64(replyJson) };
  const headers: TransportHeaders = { mc_sender: input.senderid };
  if (input.federation) headers.federation = input.federation;
  const transport: TransportV1 = {
    protocol: TRANSPORT_PROTOCOL,
    data: Buffer.from(JSON.stringify(secure), 'utf8').toString('base64'),
    headers,
  };
  return Buffer.from(JSON.stringify(transport), 'utf8');
}

export interface DecodedReply {
  requestid: string;
  senderid: string;
  agent: string;
  time: number;
  /** mcorpc reply JSON text or `pong`. */
  message: string;
  mcSender?: string;
}

/** Decodes every layer of a reply and rejects it when the hash does not match the reply JSON. */
export function decodeReply(payload: Uint8Array | string): DecodedReply {
  const transport = decodeTransport(payload);
  const secure = decodeTransportData(transport);
  if (!isObject(secure) || secure.protocol !== SECURE_REPLY_PROTOCOL || typeof secure.message !== 'string') {
    throw new ProtocolError('not a choria:secure:reply:1 message');
  }
  if (typeof secure.hash !== 'string' || sha256Base64(secure.message) !== secure.hash) {
    throw new ProtocolError('reply hash does not match its message');
  }
  const reply = parseJson(secure.message, 'reply');
  if (!isObject(reply) || reply.protocol !== REPLY_PROTOCOL || !isObject(reply.envelope) || typeof reply.message !== 'string') {
    throw new ProtocolError('not a choria:reply:1 message');
  }
  const envelope = reply.envelope as unknown as ReplyEnvelope;
  return {
    requestid: String(envelope.requestid),
    senderid: String(envelope.senderid),
    agent: String(envelope.agent),
    time: Number(envelope.time),
    message: reply.message,
    mcSender: transport.headers.mc_sender,
  };
}

/**
 * JSON.parse when it is exact: the text is what JSON.stringify writes for the value it parses to
 * (compact, every number in its shortest form, so no `0.0`, no 2^53+1, no 2^70, no repeated key).
 * Go and Ruby nodes write replies that way, so most replies skip lossless-json, which cost a proxy
 * about a third of its CPU per reply (issue 20). Undefined when the text needs the exact parser.
 */
function parseCanonical(text: string): unknown {
  try {
    const value: unknown = JSON.parse(text);
    return JSON.stringify(value) === text ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Tolerates Ruby nodes (no `action`) and Go agents that set data to nil, which serialises as the JSON
 * string "{}" rather than an object. The data's numbers keep their text (`dataJson`): a node's 0.0
 * or 2^70 is stored as sent (issue 26). A reply whose text parseCanonical reads exactly is decoded
 * with the native JSON functions; the data and its text are then the same as the exact path's.
 */
export function decodeMcorpcReply(message: string): McorpcReplyBody {
  const canonical = parseCanonical(message);
  if (canonical !== undefined && isObject(canonical) && Number.isInteger(canonical.statuscode)) {
    const data = isObject(canonical.data) ? canonical.data : typeof canonical.data === 'string' ? canonicalData(canonical.data) : canonical.data === undefined ? {} : undefined;
    if (data !== undefined) {
      return {
        action: typeof canonical.action === 'string' ? canonical.action : undefined,
        statuscode: canonical.statuscode as number,
        statusmsg: typeof canonical.statusmsg === 'string' ? canonical.statusmsg : '',
        data,
        dataJson: JSON.stringify(data),
      };
    }
  }
  let body: unknown;
  try {
    body = parseExact(message);
  } catch (cause) {
    throw new ProtocolError(`mcorpc reply is not JSON: ${(cause as Error).message}`);
  }
  if (!isObject(body) || !isIntegerNumber(body.statuscode)) throw new ProtocolError('not an mcorpc reply');
  let data: Record<string, unknown> = {};
  // lossless-json's numbers are objects too: data written as 0.0 is not an object, as 0 is not on the native path.
  if (isObject(body.data) && !isJsonNumber(body.data)) data = body.data;
  else if (typeof body.data === 'string') {
    const inner = (() => {
      try {
        return parseExact(body.data as string);
      } catch {
        return undefined;
      }
    })();
    // Data sent as "2.0" is not an object either, as "2" is not (canonicalData).
    if (isObject(inner) && !isJsonNumber(inner)) data = inner;
  }
  return {
    action: typeof body.action === 'string' ? body.action : undefined,
    statuscode: Number(body.statuscode),
    statusmsg: typeof body.statusmsg === 'string' ? body.statusmsg : '',
    data: toPlainNumbers(data) as Record<string, unknown>,
    dataJson: stringifyExact(data),
  };
}

/** Data sent as a JSON string ("{}" from a Go agent's nil): an object when it reads exactly, {} when it is not an object, undefined when only the exact parser can read it. */
function canonicalData(text: string): Record<string, unknown> | undefined {
  const inner = parseCanonical(text);
  if (inner !== undefined) return isObject(inner) ? inner : {};
  try {
    parseExact(text);
  } catch {
    return {};
  }
  return undefined;
}

export function encodeMcorpcReply(body: McorpcReplyBody): string {
  return JSON.stringify({ action: body.action ?? '', statuscode: body.statuscode, statusmsg: body.statusmsg, data: body.data });
}
