import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseExact, stringifyExact, toPlainNumbers } from '@protos/json-numbers';

import {
  createRequestSigner,
  createSignatureVerifier,
  decodeMcorpcReply,
  decodeReply,
  decodeRequest,
  decodeRequestBody,
  decodeSecureRequest,
  decodeTransport,
  DISCOVERY_BODY,
  encodeMcorpcRequest,
  encodeReply,
  encodeRequest,
  md5Hex,
  newRequestId,
  ProtocolError,
  replySubject,
  toWireFilter,
  type EncodeRequestInput,
} from '@proxy/broker/choria/protocol';

const vectors = join(__dirname, 'vectors');
const readVector = (name: string): string => readFileSync(join(vectors, name), 'utf8');
const certs = join(__dirname, '..', '..', '..', 'fleet', 'certs');
const testCertPem = readFileSync(join(certs, 'rex.mcollective.pem'), 'utf8');
const testKeyPem = readFileSync(join(certs, 'rex.mcollective.key'), 'utf8');

function workedExampleInput(): EncodeRequestInput {
  return {
    message: encodeMcorpcRequest({ agent: 'package', action: 'status', data: { package: 'nginx' } }),
    requestid: '5c8e1f3a9b2d4e6f8a0b1c2d3e4f5a6b',
    senderid: 'ops1.example.net',
    callerid: 'choria=rip.mcollective',
    collective: 'mcollective',
    agent: 'package',
    ttl: 60,
    time: 1796083200,
    filter: toWireFilter({
      fact: [{ fact: 'os.family', operator: '==', value: 'Debian' }],
      cf_class: ['roles::web'],
      agent: ['package'],
      identity: [],
      compound: '',
    }),
    replyTo: 'mcollective.reply.37bdf08389145a56c13096c178802d3b.5c8e1f3a9b2d4e6f8a0b1c2d3e4f5a6b',
  };
}

describe('choria protocol v1', () => {
  describe(newRequestId.name, () => {
    it('returns 32 lowercase hex chars with the uuid v4 version nibble when called', () => {
      const ids = new Set(Array.from({ length: 200 }, () => newRequestId()));
      expect(ids.size).toBe(200);
      for (const id of ids) expect(id).toMatch(/^[0-9a-f]{12}4[0-9a-f]{3}[89ab][0-9a-f]{15}$/);
    });
  });

  describe(replySubject.name, () => {
    it('uses md5 hex of the callerid when building the reply subject', () => {
      expect(md5Hex('choria=rip.mcollective')).toBe('37bdf08389145a56c13096c178802d3b');
      expect(replySubject('mcollective', 'choria=rip.mcollective', '5c8e1f3a9b2d4e6f8a0b1c2d3e4f5a6b')).toBe(
        'mcollective.reply.37bdf08389145a56c13096c178802d3b.5c8e1f3a9b2d4e6f8a0b1c2d3e4f5a6b',
      );
    });
  });

  describe(toWireFilter.name, () => {
    it('always has the four arrays when given nothing', () => {
      expect(toWireFilter()).toEqual({ fact: [], cf_class: [], identity: [], compound: [] });
    });

    it('wraps a compound expression as the go-choria embedded schema wants when one is set', () => {
      expect(toWireFilter({ compound: "with('roles::web')" }).compound).toEqual([[{ expr: "with('roles::web')" }]]);
    });
  });

  describe(encodeRequest.name, () => {
    it('produces byte-identical request JSON to the worked example when given its inputs', () => {
      const encoded = encodeRequest(workedExampleInput(), createRequestSigner({ mode: 'insecure' }));
      expect(encoded.requestJson).toBe(readVector('request.json').trimEnd());
    });

    it('writes the literal insecure signature and pubcert when in insecure mode', () => {
      const encoded = encodeRequest(workedExampleInput(), createRequestSigner({ mode: 'insecure' }));
      const secure = decodeSecureRequest(decodeTransport(encoded.payload));
      expect(secure.signature).toBe('insecure');
      expect(secure.pubcert).toBe('insecure');
      expect(createSignatureVerifier({ allowInsecure: true }).verify(secure)).toBe(true);
      expect(createSignatureVerifier({ allowInsecure: false }).verify(secure)).toBe(false);
    });

    it('round trips every layer when decoded', () => {
      const input = workedExampleInput();
      const encoded = encodeRequest(input, createRequestSigner({ mode: 'insecure' }));
      const transport = decodeTransport(encoded.payload);
      expect(transport.headers).toEqual({ 'reply-to': input.replyTo, mc_sender: 'ops1.example.net' });
      const request = decodeRequest(decodeSecureRequest(transport));
      expect(request.envelope).toEqual({
        requestid: input.requestid,
        senderid: input.senderid,
        callerid: input.callerid,
        collective: input.collective,
        agent: input.agent,
        ttl: 60,
        time: 1796083200,
        filter: input.filter,
      });
      expect(JSON.parse(decodeRequestBody(request.message))).toEqual({ agent: 'package', action: 'status', data: { package: 'nginx' } });
    });

    it('signs with the key so that the certificate in pubcert verifies when in x509 mode', () => {
      const signer = createRequestSigner({ mode: 'x509', certPem: testCertPem, keyPem: testKeyPem });
      const secure = decodeSecureRequest(decodeTransport(encodeRequest(workedExampleInput(), signer).payload));
      expect(secure.pubcert).toBe(testCertPem);
      const verifier = createSignatureVerifier({ allowInsecure: false });
      expect(verifier.verify(secure)).toBe(true);
      expect(verifier.verify({ ...secure, message: secure.message.replace('nginx', 'apache') })).toBe(false);
    });

    it('rejects a ttl below 30 when encoding', () => {
      expect(() => encodeRequest({ ...workedExampleInput(), ttl: 29 }, createRequestSigner({ mode: 'insecure' }))).toThrow(ProtocolError);
    });

    it('rejects a request id that is not 32 characters when encoding', () => {
      expect(() => encodeRequest({ ...workedExampleInput(), requestid: 'abc' }, createRequestSigner({ mode: 'insecure' }))).toThrow(
        ProtocolError,
      );
    });
  });

  describe(createSignatureVerifier.name, () => {
    it('verifies the worked example signature with its certificate when given the published vector', () => {
      const secure = decodeSecureRequest(decodeTransport(readVector('request-transport.json').trimEnd()));
      expect(secure.message).toBe(readVector('request.json').trimEnd());
      expect(secure.signature).toBe(readVector('signature.txt').trim());
      expect(secure.pubcert).toBe(readVector('rip.mcollective.pem'));
      expect(createSignatureVerifier({ allowInsecure: false }).verify(secure)).toBe(true);
    });
  });

  describe(decodeRequestBody.name, () => {
    it('decodes the Base64 discovery body to ping and passes JSON through when decoding', () => {
      expect(decodeRequestBody(DISCOVERY_BODY)).toBe('ping');
      expect(decodeRequestBody('{"agent":"rpcutil"}')).toBe('{"agent":"rpcutil"}');
    });
  });

  describe(decodeReply.name, () => {
    it('decodes the worked example reply when its hash matches', () => {
      const reply = decodeReply(readVector('reply-transport.json').trimEnd());
      expect(reply).toMatchObject({ requestid: '5c8e1f3a9b2d4e6f8a0b1c2d3e4f5a6b', senderid: 'web1.example.net', agent: 'package', time: 1796083201 });
      expect(decodeMcorpcReply(reply.message)).toEqual({
        action: 'status',
        statuscode: 0,
        statusmsg: 'OK',
        data: { output: '', epoch: '0', arch: 'amd64', ensure: '1.22.1-9', version: '1.22.1', provider: 'apt', name: 'nginx', release: '9' },
        dataJson: '{"output":"","epoch":"0","arch":"amd64","ensure":"1.22.1-9","version":"1.22.1","provider":"apt","name":"nginx","release":"9"}',
      });
    });

    it('round trips a reply it encoded when decoded', () => {
      const payload = encodeReply({ requestid: 'a'.repeat(32), senderid: 'n1', agent: 'discovery', time: 5, message: 'pong' });
      expect(decodeReply(payload)).toEqual({ requestid: 'a'.repeat(32), senderid: 'n1', agent: 'discovery', time: 5, message: 'pong', mcSender: 'n1' });
    });

    it('rejects a reply when its message was tampered with', () => {
      const transport = JSON.parse(readVector('reply-transport.json'));
      const secure = JSON.parse(Buffer.from(transport.data, 'base64').toString('utf8'));
      secure.message = secure.message.replace('1.22.1-9', '6.6.6-6');
      transport.data = Buffer.from(JSON.stringify(secure)).toString('base64');
      expect(() => decodeReply(JSON.stringify(transport))).toThrow('reply hash does not match its message');
    });
  });

  describe(decodeMcorpcReply.name, () => {
    it('treats a string "{}" data and a missing action as empty when a Go or Ruby node sends them', () => {
      expect(decodeMcorpcReply('{"statuscode":0,"statusmsg":"OK","data":"{}"}')).toEqual({
        action: undefined,
        statuscode: 0,
        statusmsg: 'OK',
        data: {},
        dataJson: '{}',
      });
    });

    it('keeps every number of the data as the node wrote it when it is a float, past 2^53 or past 2^64', () => {
      const reply = decodeMcorpcReply('{"statuscode":0,"statusmsg":"OK","data":{"zero":0.0,"exact":9007199254740993,"huge":1180591620717411303424,"e":1.5e3,"list":[1.0,-0.0]}}');
      expect(reply.dataJson).toBe('{"zero":0.0,"exact":9007199254740993,"huge":1180591620717411303424,"e":1.5e3,"list":[1.0,-0.0]}');
      expect(reply.data).toEqual({ zero: 0, exact: 9007199254740992, huge: 2 ** 70, e: 1500, list: [1, -0] });
    });

    it('keeps the numbers exact when a node sends its data as a JSON string', () => {
      expect(decodeMcorpcReply('{"statuscode":1,"statusmsg":"x","data":"{\\"n\\":2.50}"}').dataJson).toBe('{"n":2.50}');
    });

    it('treats data that is a number as empty when it is written as a float or sent as a JSON string', () => {
      for (const message of ['{"statuscode":0,"statusmsg":"OK","data":0}', '{"statuscode":0,"statusmsg":"OK","data":0.0}', '{"statuscode":0,"statusmsg":"OK","data":"2.0"}', '{"statuscode":0,"statusmsg":"OK","data":"2"}']) {
        expect({ message, ...decodeMcorpcReply(message) }).toEqual({ message, action: undefined, statuscode: 0, statusmsg: 'OK', data: {}, dataJson: '{}' });
      }
    });

    it('decodes every reply as the exact parser does, whether or not it takes the native fast path', () => {
      const messages = [
        '{"statuscode":0,"statusmsg":"OK","data":{"pong":1712345678}}',
        '{"action":"ping","statuscode":0,"statusmsg":"OK","data":{"2":"b","1":"a","x":[1,2.5,-3,1e+21,null,true],"nested":{"s":"caf\u00e9 \\"q\\""}}}',
        '{"statuscode":0,"statusmsg":"OK","data":{"n":1,"n":2}}',
        '{"statuscode":0, "statusmsg":"OK","data":{"n":1.50}}',
        '{"statuscode":0,"statusmsg":"OK","data":{"big":12345678901234567890}}',
        '{"statuscode":0,"statusmsg":"OK","data":"{\\"n\\":2}"}',
        '{"statuscode":0,"statusmsg":"OK","data":"[1]"}',
        '{"statuscode":0,"statusmsg":"OK","data":"not json"}',
        '{"statuscode":0,"statusmsg":"OK","data":[7]}',
        '{"statuscode":0,"statusmsg":"OK"}',
        '{"statuscode":4,"statusmsg":"bad","data":{}}',
        // Key orders, duplicates and escapes at the top level.
        '{"data":{"a":1},"statusmsg":"OK","statuscode":0,"action":"x"}',
        '{"statuscode":0,"statuscode":0,"statusmsg":"OK","data":{}}',
        '{"statuscode":0,"statusmsg":"OK","data":{"a":1},"data":{"a":1}}',
        '{"statuscode":0,"statusmsg":"caf\\u00e9","data":{}}',
        '{"statuscode":0,"statusmsg":"OK","data":{"__proto__":{"x":1},"1":2}}',
        '{"statuscode":0,"statusmsg":"OK","data":{}} ',
        '{"statuscode":0,"statusmsg":"OK","data":{},"extra":[1,{"y":null}]}',
        '{"statuscode":0,"statusmsg":"OK","data":{"s":"line\\nbreak \\"q\\" \\u001f"}}',
        '{"statuscode":0,"statusmsg":"OK","data":{"s":"\\/"}}',
      ];
      // Every case again with a long first member, and long data.
      const long = messages.map((message) => `{"long":"${'x'.repeat(5000)}",${message.slice(1)}`);
      long.push(`{"statuscode":0,"statusmsg":"OK","data":{"out":"${'y'.repeat(5000)}","n":[1,2]}}`, `{"statuscode":0,"statusmsg":"OK","data":{"out":"${'y'.repeat(5000)}","n":1.0}}`);
      for (const message of [...messages, ...long]) {
        const exact = parseExact(message) as { statuscode: unknown; statusmsg: string; action?: string; data: unknown };
        const inner = typeof exact.data === 'string' ? (() => { try { return parseExact(exact.data as string); } catch { return undefined; } })() : exact.data;
        const data = inner !== null && typeof inner === 'object' && !Array.isArray(inner) ? inner : {};
        expect({ message, ...decodeMcorpcReply(message) }).toEqual({ message, action: exact.action, statuscode: Number(exact.statuscode), statusmsg: exact.statusmsg, data: toPlainNumbers(data), dataJson: stringifyExact(data) });
      }
      expect(() => decodeMcorpcReply('{"statuscode":1.5,"statusmsg":"OK","data":{}}')).toThrow('not an mcorpc reply');
      expect(() => decodeMcorpcReply('{"statuscode":0,')).toThrow('mcorpc reply is not JSON');
    });
  });
});
