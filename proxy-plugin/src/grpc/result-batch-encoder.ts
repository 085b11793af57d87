/**
 * The protobuf bytes of an ExecuteEvent that carries a HostResultBatch or one HostResult, written directly (issue 20):
 * proto-loader's serializer runs protobufjs fromObject and then its generic encoder on every result,
 * about a tenth of a proxy's CPU per job. The bytes are the ones that serializer writes (same fields,
 * field-number order, every field present), which the tests check field by field; a message this
 * encoder does not handle (another event, a number out of its range, an unknown enum name) is
 * undefined and goes through proto-loader as before.
 */
import type { ExecuteEvent } from '@protos/generated/rex/proxy/v1/ExecuteEvent';
import type { HostResult } from '@protos/generated/rex/proxy/v1/HostResult';
import { loadProxyProto } from '@protos/load';

interface EnumDescriptor {
  type: { value: Array<{ name: string; number: number }> };
}

/** Enum names and numbers as the loaded proto defines them, both forms accepted as proto-loader does. */
function enumValues(descriptor: unknown): Map<string | number, number> {
  const values = new Map<string | number, number>();
  for (const { name, number } of (descriptor as EnumDescriptor).type.value) {
    values.set(name, number);
    values.set(number, number);
  }
  return values;
}

let enums: { state: Map<string | number, number>; cause: Map<string | number, number> } | undefined;
function hostEnums(): NonNullable<typeof enums> {
  if (!enums) {
    const v1 = loadProxyProto().rex.proxy.v1;
    enums = { state: enumValues(v1.HostState), cause: enumValues(v1.HostCause) };
  }
  return enums;
}

// Tags: (field number << 3) | wire type (0 varint, 2 length-delimited), as varint bytes.
const TAG_SEQUENCE = 0x08; // ExecuteEvent.sequence = 1
const TAG_SINGLE_RESULT = 0x1a; // ExecuteEvent.result = 3
const TAG_RESULTS = [0xaa, 0x01]; // ExecuteEvent.results = 21
const TAG_FIRST_SEQUENCE = 0x08; // HostResultBatch.first_sequence = 1
const TAG_RESULT = 0x12; // HostResultBatch.results = 2
const TAG_IDENTITY = 0x0a; // HostResult.identity = 1
const TAG_STATE = 0x10; // 2
const TAG_STATUSCODE = 0x18; // 3
const TAG_STATUSMSG = 0x22; // 4
const TAG_DATA_JSON = 0x2a; // 5
const TAG_SENT_AT = 0x30; // 6
const TAG_RECEIVED_AT = 0x38; // 7
const TAG_UNEXPECTED = 0x40; // 8
const TAG_CAUSE = [0xa0, 0x01]; // 20
const TAG_REASON = [0xaa, 0x01]; // 21

const isUint53 = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
const isInt32 = (value: unknown): value is number => typeof value === 'number' && Number.isInteger(value) && value >= -0x80000000 && value <= 0x7fffffff;

/** Above this many characters the native Buffer.byteLength and String#isWellFormed beat a loop in JS. */
const NATIVE_FROM = 256;

/**
 * The UTF-8 length of a text, or -1 when it holds a lone surrogate: Buffer writes one as U+FFFD and
 * protobufjs as its raw 3 bytes, so such a text (rare: JSON.stringify escapes them in data_json) keeps
 * proto-loader's bytes. Short texts are measured in JS: identities and small replies are most of them.
 */
function utf8Length(text: string): number {
  if (text.length > NATIVE_FROM) return (text as unknown as { isWellFormed(): boolean }).isWellFormed() ? Buffer.byteLength(text, 'utf8') : -1;
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c < 0xd800 || c > 0xdfff) bytes += 3;
    else if (c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4;
      i++;
    } else return -1;
  }
  return bytes;
}

/** Bytes of a varint for 0 <= value < 2^53. */
function uintSize(value: number): number {
  let size = 1;
  while (value >= 128) {
    value = Math.floor(value / 128);
    size++;
  }
  return size;
}

/** int32 as protobuf writes it: a negative one is its 64-bit two's complement, 10 bytes. */
const int32Size = (value: number): number => (value < 0 ? 10 : uintSize(value));

interface Sized {
  result: HostResult;
  state: number;
  cause: number;
  identity: number;
  statusmsg: number;
  dataJson: number;
  reason: number;
  /** The HostResult's own length, without its tag and length prefix. */
  size: number;
}

function sizeResult(result: HostResult, state: number, cause: number): Sized | undefined {
  const { identity, statusmsg, data_json: dataJson, reason, statuscode, sent_at_ms: sentAt, received_at_ms: receivedAt, unexpected } = result;
  if (typeof identity !== 'string' || typeof statusmsg !== 'string' || typeof dataJson !== 'string' || typeof reason !== 'string') return undefined;
  if (!isInt32(statuscode) || !isUint53(sentAt) || !isUint53(receivedAt) || typeof unexpected !== 'boolean') return undefined;
  const sized: Sized = { result, state, cause, identity: utf8Length(identity), statusmsg: utf8Length(statusmsg), dataJson: utf8Length(dataJson), reason: utf8Length(reason), size: 0 };
  if (sized.identity < 0 || sized.statusmsg < 0 || sized.dataJson < 0 || sized.reason < 0) return undefined;
  sized.size =
    1 + uintSize(sized.identity) + sized.identity +
    1 + uintSize(state) +
    1 + int32Size(statuscode) +
    1 + uintSize(sized.statusmsg) + sized.statusmsg +
    1 + uintSize(sized.dataJson) + sized.dataJson +
    1 + uintSize(sentAt) +
    1 + uintSize(receivedAt) +
    2 +
    2 + uintSize(cause) +
    2 + uintSize(sized.reason) + sized.reason;
  return sized;
}

class Out {
  pos = 0;
  constructor(readonly buf: Buffer) {}

  byte(value: number): void {
    this.buf[this.pos++] = value;
  }

  uint(value: number): void {
    while (value >= 128) {
      this.buf[this.pos++] = (value % 128) | 128;
      value = Math.floor(value / 128);
    }
    this.buf[this.pos++] = value;
  }

  int32(value: number): void {
    if (value >= 0) return this.uint(value);
    // Sign-extended to 64 bits: the low 32 bits, then 0xffffffff, 7 bits a byte (protobufjs writeVarint64).
    let lo = value >>> 0;
    let hi = 0xffffffff;
    while (hi) {
      this.buf[this.pos++] = (lo & 127) | 128;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    while (lo > 127) {
      this.buf[this.pos++] = (lo & 127) | 128;
      lo >>>= 7;
    }
    this.buf[this.pos++] = lo;
  }

  string(text: string, bytes: number): void {
    this.uint(bytes);
    if (bytes === text.length && bytes <= NATIVE_FROM) {
      // ASCII: one byte per character, without a call into C++ for a few bytes.
      for (let i = 0; i < bytes; i++) this.buf[this.pos++] = text.charCodeAt(i);
    } else if (bytes > 0) this.pos += this.buf.write(text, this.pos, bytes, 'utf8');
  }
}

function sizeOf(result: HostResult): Sized | undefined {
  const { state: states, cause: causes } = hostEnums();
  const state = states.get(result.state as string);
  const cause = causes.get(result.cause as string);
  if (state === undefined || cause === undefined) return undefined;
  return sizeResult(result, state, cause);
}

/** A HostResult's fields, in field-number order (its tag and length are the caller's). */
function writeResult(out: Out, one: Sized): void {
  const r = one.result;
  out.byte(TAG_IDENTITY);
  out.string(r.identity as string, one.identity);
  out.byte(TAG_STATE);
  out.uint(one.state);
  out.byte(TAG_STATUSCODE);
  out.int32(r.statuscode as number);
  out.byte(TAG_STATUSMSG);
  out.string(r.statusmsg as string, one.statusmsg);
  out.byte(TAG_DATA_JSON);
  out.string(r.data_json as string, one.dataJson);
  out.byte(TAG_SENT_AT);
  out.uint(r.sent_at_ms as number);
  out.byte(TAG_RECEIVED_AT);
  out.uint(r.received_at_ms as number);
  out.byte(TAG_UNEXPECTED);
  out.byte(r.unexpected ? 1 : 0);
  out.byte(TAG_CAUSE[0]);
  out.byte(TAG_CAUSE[1]);
  out.uint(one.cause);
  out.byte(TAG_REASON[0]);
  out.byte(TAG_REASON[1]);
  out.string(r.reason as string, one.reason);
}

function checked(out: Out): Buffer {
  if (out.pos !== out.buf.length) throw new Error(`result event encoded ${out.pos} bytes, sized ${out.buf.length}`);
  return out.buf;
}

/** The single HostResult event (sent when only one result was ready). */
function encodeSingleResult(sequence: number, result: HostResult): Buffer | undefined {
  const one = sizeOf(result);
  if (!one) return undefined;
  const out = new Out(Buffer.allocUnsafe(1 + uintSize(sequence) + 1 + uintSize(one.size) + one.size));
  out.byte(TAG_SEQUENCE);
  out.uint(sequence);
  out.byte(TAG_SINGLE_RESULT);
  out.uint(one.size);
  writeResult(out, one);
  return checked(out);
}

/**
 * The serialized ExecuteEvent when it is a result batch, or a single result, this encoder handles;
 * undefined otherwise.
 */
export function encodeResultEvent(event: ExecuteEvent): Buffer | undefined {
  if (!isUint53(event.sequence)) return undefined;
  // Another member of the oneof set beside a result is proto-loader's to settle (it keeps the last one).
  if (event.started != null || event.sent != null || event.summary != null) return undefined;
  if (event.result && !event.results) return encodeSingleResult(event.sequence, event.result);
  const batch = event.results;
  if (!batch || event.result || !Array.isArray(batch.results) || !isUint53(batch.first_sequence)) return undefined;
  const sized: Sized[] = [];
  let batchSize = 1 + uintSize(batch.first_sequence);
  for (const result of batch.results) {
    const one = sizeOf(result);
    if (!one) return undefined;
    sized.push(one);
    batchSize += 1 + uintSize(one.size) + one.size;
  }
  const out = new Out(Buffer.allocUnsafe(1 + uintSize(event.sequence) + 2 + uintSize(batchSize) + batchSize));
  out.byte(TAG_SEQUENCE);
  out.uint(event.sequence);
  out.byte(TAG_RESULTS[0]);
  out.byte(TAG_RESULTS[1]);
  out.uint(batchSize);
  out.byte(TAG_FIRST_SEQUENCE);
  out.uint(batch.first_sequence);
  for (const one of sized) {
    out.byte(TAG_RESULT);
    out.uint(one.size);
    writeResult(out, one);
  }
  return checked(out);
}

type Serialize = (value: ExecuteEvent) => Buffer;

/** A response serializer that writes results and result batches with encodeResultEvent and the rest with `generic`. */
export function withResultBatchEncoder(generic: Serialize): Serialize {
  return (value) => encodeResultEvent(value) ?? generic(value);
}
