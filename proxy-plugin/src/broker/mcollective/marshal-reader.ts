/**
 * A Ruby Marshal 4.8 reader that keeps what a reply's values are: Integers exact at any size (as
 * bigint), Floats apart from Integers, Hash keys of any type, and the class of every object (Time,
 * Range, Struct, ...) with its instance variables. MCollective replies carry such values and
 * `mco rpc --json` prints them from these (ruby-json.ts).
 *
 * Hand-written because the Marshal packages on npm lose them: @hyrious/marshal, which the proxy
 * uses to write requests, reads a Bignum into a double ("no bigint support") and drops Hash keys
 * that are not strings, symbols or numbers; @qnighy/marshal turns every number into a double and
 * discards classes. The format is small and documented (Ruby's doc/marshal.rdoc); vectors made by
 * Ruby itself test this reader (test/proxy-plugin/broker/mcollective/marshal-reader.int.test.ts).
 */

export type RubyValue =
  | null
  | boolean
  | { kind: 'integer'; value: bigint }
  | { kind: 'float'; value: number }
  /** `encoding` is '' for a binary (ASCII-8BIT) String. */
  | { kind: 'string'; bytes: Uint8Array; encoding: string }
  | { kind: 'symbol'; name: string }
  | { kind: 'array'; items: RubyValue[] }
  | { kind: 'hash'; entries: Array<[RubyValue, RubyValue]> }
  | { kind: 'regexp'; source: string; options: number }
  /** A plain object (`o`) with its instance variables (Range: begin, end, excl). */
  | { kind: 'object'; className: string; ivars: Array<[string, RubyValue]> }
  /** A Struct (`S`): its members in order. */
  | { kind: 'struct'; className: string; ivars: Array<[string, RubyValue]> }
  | { kind: 'class' | 'module'; name: string }
  /** `_dump` (Time) as bytes plus instance variables, or `marshal_dump` (Rational, Complex) as data. */
  | { kind: 'userdef'; className: string; bytes: Uint8Array; ivars: Array<[string, RubyValue]> }
  | { kind: 'usermarshal'; className: string; data: RubyValue }
  | { kind: 'data'; className: string; data: RubyValue };

export class MarshalFormatError extends Error {
  override readonly name = 'MarshalFormatError';
}

const utf8 = new TextDecoder('utf-8');

/** Objects that take an ivar list (`I`): the encoding of Strings and Regexps, and `_dump` ivars. */
type IvarTarget = Extract<RubyValue, { kind: 'string' } | { kind: 'regexp' } | { kind: 'userdef' } | { kind: 'object' }>;

class Reader {
  private offset = 0;
  private readonly symbols: string[] = [];
  /** Every object that Ruby's dumper numbers for `@` links, in the order it starts to read them. */
  private readonly objects: RubyValue[] = [];

  constructor(private readonly bytes: Uint8Array) {}

  read(): RubyValue {
    if (this.bytes.length < 2 || this.bytes[0] !== 4 || this.bytes[1] !== 8) throw new MarshalFormatError('not Marshal 4.8 data');
    this.offset = 2;
    const value = this.value();
    if (this.offset !== this.bytes.length) throw new MarshalFormatError(`${this.bytes.length - this.offset} bytes after the value`);
    return value;
  }

  private byte(): number {
    if (this.offset >= this.bytes.length) throw new MarshalFormatError('data too short');
    return this.bytes[this.offset++];
  }

  private take(length: number): Uint8Array {
    if (length < 0 || this.offset + length > this.bytes.length) throw new MarshalFormatError('data too short');
    const out = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    return out;
  }

  /** Marshal's packed long (w_long). */
  private long(): number {
    const first = (this.byte() << 24) >> 24;
    if (first === 0) return 0;
    if (first > 4) return first - 5;
    if (first < -4) return first + 5;
    const size = Math.abs(first);
    let value = 0;
    for (let i = 0; i < size; i++) value += this.byte() * 2 ** (8 * i);
    return first > 0 ? value : value - 2 ** (8 * size);
  }

  private text(): string {
    return utf8.decode(this.take(this.long()));
  }

  private symbol(): string {
    const type = this.byte();
    if (type === 0x3a /* : */) {
      const name = this.text();
      this.symbols.push(name);
      return name;
    }
    if (type === 0x3b /* ; */) {
      const name = this.symbols[this.long()];
      if (name === undefined) throw new MarshalFormatError('symbol link out of range');
      return name;
    }
    if (type === 0x49 /* I: a symbol with an encoding */) {
      const name = this.symbol();
      this.ivars();
      return name;
    }
    throw new MarshalFormatError(`expected a symbol, found type 0x${type.toString(16)}`);
  }

  private remember<T extends RubyValue>(value: T): T {
    this.objects.push(value);
    return value;
  }

  private ivars(): Array<[string, RubyValue]> {
    const count = this.long();
    const out: Array<[string, RubyValue]> = [];
    for (let i = 0; i < count; i++) out.push([this.symbol(), this.value()]);
    return out;
  }

  private value(): RubyValue {
    const type = String.fromCharCode(this.byte());
    switch (type) {
      case '0':
        return null;
      case 'T':
        return true;
      case 'F':
        return false;
      case 'i':
        return { kind: 'integer', value: BigInt(this.long()) };
      case ':':
      case ';':
        this.offset--;
        return { kind: 'symbol', name: this.symbol() };
      case '@': {
        const index = this.long();
        if (index >= this.objects.length) throw new MarshalFormatError('object link out of range');
        return this.objects[index];
      }
      case 'l': {
        const sign = this.byte();
        const bytes = this.take(this.long() * 2);
        let value = 0n;
        for (let i = bytes.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i]);
        return this.remember({ kind: 'integer', value: sign === 0x2d /* - */ ? -value : value });
      }
      case 'f': {
        const text = this.text();
        const value = text === 'nan' ? NaN : text === 'inf' ? Infinity : text === '-inf' ? -Infinity : Number(text);
        return this.remember({ kind: 'float', value });
      }
      case '"':
        return this.remember({ kind: 'string', bytes: this.take(this.long()), encoding: '' });
      case '/': {
        const source = this.take(this.long());
        const options = this.byte();
        return this.remember({ kind: 'regexp', source: utf8.decode(source), options });
      }
      case '[': {
        const array = this.remember({ kind: 'array', items: [] as RubyValue[] });
        const count = this.long();
        for (let i = 0; i < count; i++) array.items.push(this.value());
        return array;
      }
      case '{':
      case '}': {
        const hash = this.remember({ kind: 'hash', entries: [] as Array<[RubyValue, RubyValue]> });
        const count = this.long();
        for (let i = 0; i < count; i++) hash.entries.push([this.value(), this.value()]);
        if (type === '}') this.value(); // the default value: not part of the JSON form
        return hash;
      }
      case 'I': {
        const inner = this.value();
        const ivars = this.ivars();
        if (inner !== null && typeof inner === 'object') this.applyIvars(inner as IvarTarget, ivars);
        return inner;
      }
      case 'e':
        this.symbol(); // a module the object was extended with: it does not change its JSON form
        return this.value();
      case 'C':
        this.symbol(); // a subclass of String, Array, Hash or Regexp: shown as its base class
        return this.value();
      case 'o': {
        const object = this.remember({ kind: 'object', className: this.symbol(), ivars: [] as Array<[string, RubyValue]> });
        object.ivars.push(...this.ivars());
        return object;
      }
      case 'S': {
        const struct = this.remember({ kind: 'struct', className: this.symbol(), ivars: [] as Array<[string, RubyValue]> });
        struct.ivars.push(...this.ivars());
        return struct;
      }
      case 'u': {
        const className = this.symbol();
        return this.remember({ kind: 'userdef', className, bytes: this.take(this.long()), ivars: [] });
      }
      case 'U': {
        const value = this.remember({ kind: 'usermarshal', className: this.symbol(), data: null as RubyValue });
        value.data = this.value();
        return value;
      }
      case 'd': {
        const value = this.remember({ kind: 'data', className: this.symbol(), data: null as RubyValue });
        value.data = this.value();
        return value;
      }
      case 'c':
        return this.remember({ kind: 'class', name: this.text() });
      case 'm':
      case 'M':
        return this.remember({ kind: 'module', name: this.text() });
      default:
        throw new MarshalFormatError(`unknown type byte 0x${type.charCodeAt(0).toString(16)}`);
    }
  }

  private applyIvars(target: IvarTarget, ivars: Array<[string, RubyValue]>): void {
    if (target.kind === 'string') {
      for (const [name, value] of ivars) {
        if (name === 'E') target.encoding = value === true ? 'UTF-8' : 'US-ASCII';
        else if (name === 'encoding' && value !== null && typeof value === 'object' && value.kind === 'string') target.encoding = utf8.decode(value.bytes);
      }
    } else if (target.kind === 'userdef' || target.kind === 'object') {
      target.ivars.push(...ivars);
    }
  }
}

/** Reads one Marshal document; throws MarshalFormatError when it is not well-formed. */
export function readMarshal(bytes: Uint8Array): RubyValue {
  return new Reader(bytes).read();
}
