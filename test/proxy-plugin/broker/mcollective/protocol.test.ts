import fs from 'node:fs';
import path from 'node:path';

import { marshalLoad } from '@proxy/broker/mcollective/ruby-marshal';
import {
  decodeReply,
  decodeRequest,
  decodeRpcReply,
  encodeDiscoveryBody,
  encodeReply,
  encodeRequest,
  encodeRpcBody,
  encodeRpcReplyBody,
  McollectiveProtocolError,
  pskHash,
  toWireFilter,
} from '@proxy/broker/mcollective/protocol';

const vector = Buffer.from(fs.readFileSync(path.join(__dirname, 'vectors', 'psk-reply.hex'), 'utf8').trim(), 'hex');

function aRequest(overrides: Partial<Parameters<typeof encodeRequest>[0]> = {}) {
  return encodeRequest({
    body: encodeRpcBody({ agent: 'rpcutil', action: 'get_fact', caller: 'uid=rex', data: { fact: 'osfamily' } }),
    senderid: 'rex-proxy',
    requestid: '0123456789abcdef0123456789abcdef',
    filter: toWireFilter({ agent: ['rpcutil'] }),
    collective: 'mcollective',
    agent: 'rpcutil',
    callerid: 'uid=rex',
    ttl: 60,
    msgtime: 1796034033,
    psk: 'secret',
    ...overrides,
  });
}

describe(decodeReply.name, () => {
  it('reads a reply MCollective 2.12 encoded, Structs, Symbols, Floats, nil and UTF-8 included, when the psk matches', () => {
    const reply = decodeReply(vector, 'vectorpsk');
    expect(reply).toMatchObject({ senderid: 'web-01.mco.test', requestid: '0123456789abcdef0123456789abcdef', senderagent: 'rpcutil' });
    expect(Number.isInteger(reply.msgtime) && reply.msgtime > 2 ** 30).toBe(true);
    // A Struct is written as its to_s, as the json gem (and so `mco rpc --json`) writes it.
    const times = '#<struct Process::Tms utime=0.08, stime=0.09, cutime=0, cstime=0>';
    expect(decodeRpcReply(reply.body)).toEqual({
      statuscode: 0,
      statusmsg: 'OK',
      data: { pong: 1796034033, times, name: 'café', list: ['a', 'b'], ratio: 1.5, none: null, facts: { osfamily: 'Debian' } },
      dataJson: `{"pong":1796034033,"times":"${times}","name":"café","list":["a","b"],"ratio":1.5,"none":null,"facts":{"osfamily":"Debian"}}`,
    });
  });

  it('refuses the reply when the psk differs', () => {
    expect(() => decodeReply(vector, 'otherpsk')).toThrow(McollectiveProtocolError);
  });

  it('refuses the reply when one byte of its body was changed in transit', () => {
    const tampered = Buffer.from(vector);
    // "OK" inside the inner body becomes "OJ": still valid Marshal, but no longer what was hashed.
    const at = tampered.indexOf(Buffer.from('OK'));
    tampered[at + 1] = 'J'.charCodeAt(0);
    expect(() => decodeReply(tampered, 'vectorpsk')).toThrow(/psk check/);
  });

  it('refuses bytes that are not Marshal data', () => {
    expect(() => decodeReply(Buffer.from('{"json":true}'), 'vectorpsk')).toThrow(/not Ruby Marshal/);
  });
});

describe(encodeRequest.name, () => {
  it('hashes the inner body with the psk the way psk.rb does (md5 of body bytes + psk)', () => {
    const body = encodeDiscoveryBody();
    // Marshal.dump("ping") in Ruby 3.1: a UTF-8 String.
    expect(Buffer.from(body).toString('hex')).toBe('040849220970696e67063a064554');
    const envelope = marshalLoad(aRequest({ body, agent: 'discovery' })) as Record<string, unknown>;
    expect(envelope.hash).toBe(pskHash(body, 'secret'));
  });

  it('writes Symbol keys, the filter with String keys and a Bignum msgtime, as mcollectived expects', () => {
    const payload = Buffer.from(aRequest());
    // 'l+' is a positive Bignum: epoch seconds exceed the 2^30 Fixnum range of Marshal.
    expect(payload.includes(Buffer.from(':\x0cmsgtimel+', 'latin1'))).toBe(true);
    const decoded = decodeRequest(payload, 'secret');
    expect(decoded).toMatchObject({ senderid: 'rex-proxy', collective: 'mcollective', agent: 'rpcutil', callerid: 'uid=rex', ttl: 60, msgtime: 1796034033 });
    expect(decoded.filter).toEqual({ fact: [], cf_class: [], agent: ['rpcutil'], identity: [], compound: [] });
    const body = decoded.body as Record<symbol | string, unknown>;
    expect(body).toEqual({ agent: 'rpcutil', action: 'get_fact', caller: 'uid=rex', data: { fact: 'osfamily', process_results: true } });
  });

  it('sends a whole number as a Ruby Float when the DDL input is a float', () => {
    const body = marshalLoad(encodeRpcBody({ agent: 'rexcheck', action: 'multiply', caller: 'uid=rex', data: { value: 7, factor: 2 }, inputTypes: { value: 'integer', factor: 'float' } }));
    // Marshal type bytes: 'i' for the Integer 7, 'f' for the Float 2.
    const bytes = Buffer.from(encodeRpcBody({ agent: 'rexcheck', action: 'multiply', caller: 'uid=rex', data: { value: 7, factor: 2 }, inputTypes: { value: 'integer', factor: 'float' } }));
    expect(bytes.includes(Buffer.from([0x69, 0x0c]))).toBe(true);
    expect(bytes.includes(Buffer.from('f\x062', 'latin1'))).toBe(true);
    expect((body as { data: Record<string, unknown> }).data).toEqual({ value: 7, factor: 2, process_results: true });
  });

  it('refuses a callerid mcollectived would drop', () => {
    expect(() => aRequest({ callerid: 'choria=rex mcollective' })).toThrow(/callerid/);
  });

  it('turns fact filters into Symbol-keyed entries with == for a bare =', () => {
    const filter = toWireFilter({ fact: [{ fact: 'hostgroup', operator: '=', value: 'web' }], identity: ['/^web/'], cf_class: ['role::web'], compound: 'a=1 or b=2' });
    const bytes = Buffer.from(encodeRpcReplyBody({ statuscode: 0, statusmsg: '', data: { f: filter } }));
    // The filter's own keys are Strings (I"), the keys inside a fact entry Symbols (:).
    expect(bytes.includes(Buffer.from('I"\x09fact', 'latin1'))).toBe(true);
    expect(bytes.includes(Buffer.from(':\x0doperator', 'latin1'))).toBe(true);
    expect(marshalLoad(encodeRpcReplyBody({ statuscode: 0, statusmsg: '', data: { f: filter } }))).toEqual({
      statuscode: 0,
      statusmsg: '',
      data: { f: { fact: [{ fact: 'hostgroup', value: 'web', operator: '==' }], cf_class: ['role::web'], agent: [], identity: ['/^web/'], compound: [[{ statement: 'a=1' }, { or: 'or' }, { statement: 'b=2' }]] } },
    });
  });
});

describe(encodeReply.name, () => {
  it('round-trips through decodeReply when the hash is the psk hash of the body', () => {
    const body = encodeRpcReplyBody({ statuscode: 1, statusmsg: 'aborted', data: { reason: 'x' } });
    const payload = encodeReply({ senderid: 'n1', requestid: 'r'.repeat(32), senderagent: 'rexcheck', msgtime: 5, body, hash: pskHash(body, 'k') });
    expect(decodeRpcReply(decodeReply(payload, 'k').body)).toEqual({ statuscode: 1, statusmsg: 'aborted', data: { reason: 'x' }, dataJson: '{"reason":"x"}' });
  });
});
