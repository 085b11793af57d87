/**
 * The reply reader against Ruby itself: Ruby (the system ruby that runs mcollectived) dumps each
 * value with Marshal and prints its `to_json`, as `mco rpc --json` does; readMarshal + rubyToJson
 * must give the same text, character for character.
 */
import { spawnSync } from 'node:child_process';

import { readMarshal } from '@proxy/broker/mcollective/marshal-reader';
import { rubyFloatToS, rubyToJson } from '@proxy/broker/mcollective/ruby-json';

/** Ruby expressions; each is dumped and printed by one ruby process. */
const EXPRESSIONS: Record<string, string> = {
  'nil, true, false': '[nil, true, false]',
  'small and negative integers': '[0, 1, -1, 122, 123, -123, -124, 255, 256, 65535, -65536, 2**30 - 1, -(2**30)]',
  'integers past 2^30, 2^53 and 2^64': '[2**30, 2**53, 2**53 + 1, -(2**53 + 1), 2**64, 2**70, -(2**70), 10**40]',
  'floats as Ruby prints them': '[0.0, -0.0, 1.0, 1.5, 0.1, 100.0, 1e15, 1e16, 1.2345678901234567e16, 1e20, 1e-4, 1e-5, 0.00012, 1.0/3, 2.5e-300, 1.7976931348623157e308, 5e-324, 123456.789]',
  'the same float twice (an object link)': 'f = 0.5; [f, f, 2.5, f]',
  'strings: UTF-8, ASCII, escapes': '["caf\\u00e9", "a\\"b\\\\c", "tab\\tnew\\nline\\r", "\\u0001\\u001f", "slash/", "emoji \\u{1F600}", "x".encode("US-ASCII"), "\\u2028"]',
  'the same string twice (an object link)': 's = "shared"; [s, s, {s => s}]',
  symbols: '[:abc, :"with space", :a?, [:abc, :abc]]',
  'hash keys of every kind': '{:sym => 1, "str" => 2, 3 => 3, nil => 4, [1, 2] => 5, 1.5 => 6, true => 7}',
  'nested hashes and arrays': '{:a => {:b => [1, {:c => [nil, 2.0]}]}, :empty => {}, :list => []}',
  'Time in UTC': 'Time.at(0).utc',
  'Time with an offset': 'Time.at(1700000000, in: "+05:30")',
  'Time with a negative offset and nanoseconds': 'Time.at(1700000000, 123456789, :nsec, in: "-03:00")',
  'Time before 1970': 'Time.utc(1969, 7, 20, 20, 17, 40)',
  ranges: '[(1..3), (1...3), ("a".."c"), (1.5..2.5), (1..), (..5)]',
  'a Struct': 'Struct.new("RexPoint", :x, :y, :label); Struct::RexPoint.new(1, 2.0, "p#{1}")',
  'Process.times': 'Process::Tms.new(0.071374, 0.00793, 0.0, 0.0)',
  regexps: '[/ab/, /ab/i, /a.b/mix, /x/m]',
  'Rational and Complex': '[Rational(1, 3), Complex(1, -2), Complex(0.5, 2)]',
  'a class and a module': '[String, Kernel]',
  'a Hash with a default value': 'h = Hash.new(5); h[:a] = 1; h',
  'a subclass of Hash': 'class RexHash < Hash; end; h = RexHash.new; h[:x] = 1; h',
};

function rubyVectors(): Record<string, { marshal: Buffer; json: string }> {
  const script = `
    require 'json'
    out = {}
    ${Object.entries(EXPRESSIONS)
      .map(([name, expr]) => `v = begin; ${expr}; end; out[${JSON.stringify(name)}] = [[Marshal.dump(v)].pack('m0'), v.to_json]`)
      .join('\n    ')}
    puts out.to_json
  `;
  const run = spawnSync('ruby', ['-e', script], { encoding: 'utf8', env: { ...process.env, TZ: 'UTC' } });
  if (run.status !== 0) throw new Error(`ruby failed: ${run.stderr}`);
  const parsed = JSON.parse(run.stdout) as Record<string, [string, string]>;
  return Object.fromEntries(Object.entries(parsed).map(([name, [marshal, json]]) => [name, { marshal: Buffer.from(marshal, 'base64'), json }]));
}

describe(rubyToJson.name, () => {
  const vectors = rubyVectors();

  it.each(Object.keys(EXPRESSIONS))('writes the JSON text Ruby writes for %s', (name) => {
    const { marshal, json } = vectors[name];
    expect(rubyToJson(readMarshal(marshal))).toBe(json);
  });
});

describe(rubyFloatToS.name, () => {
  it('prints 2,000 random doubles of every magnitude as Ruby does', () => {
    const values: number[] = [];
    let seed = 26;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let i = 0; i < 2000; i++) values.push((random() - 0.5) * 10 ** Math.floor(random() * 60 - 30));
    const run = spawnSync('ruby', ['-e', 'STDIN.read.split("\\n").each { |l| puts [l].pack("H*").unpack1("E").to_s }'], {
      input: values.map((v) => Buffer.from(new Float64Array([v]).buffer).toString('hex')).join('\n'),
      encoding: 'utf8',
    });
    expect(run.status).toBe(0);
    expect(values.map(rubyFloatToS)).toEqual(run.stdout.trim().split('\n'));
  });
});
