import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { compileProtocolValidators } from '@test/fleet/protocol-schemas';

const vectors = join(__dirname, '..', 'proxy-plugin', 'broker', 'choria', 'vectors');
const workedRequest = (): { envelope: Record<string, unknown> & { filter: Record<string, unknown> } } =>
  JSON.parse(readFileSync(join(vectors, 'request.json'), 'utf8'));

describe(compileProtocolValidators.name, () => {
  const validators = compileProtocolValidators();

  it('accepts every layer of the published worked example', () => {
    const transport = JSON.parse(readFileSync(join(vectors, 'request-transport.json'), 'utf8'));
    const secure = JSON.parse(Buffer.from(transport.data, 'base64').toString('utf8'));
    expect(validators.transport(transport)).toBe(true);
    expect(validators.secureRequest(secure)).toBe(true);
    expect(validators.request(JSON.parse(secure.message))).toBe(true);
    const replyTransport = JSON.parse(readFileSync(join(vectors, 'reply-transport.json'), 'utf8'));
    const secureReply = JSON.parse(Buffer.from(replyTransport.data, 'base64').toString('utf8'));
    expect(validators.secureReply(secureReply)).toBe(true);
    expect(validators.reply(JSON.parse(secureReply.message))).toBe(true);
  });

  it.each<[string, (r: ReturnType<typeof workedRequest>) => void]>([
    ['a 31-char request id', (r) => (r.envelope.requestid = 'a'.repeat(31))],
    ['a ttl below 30', (r) => (r.envelope.ttl = 29)],
    ['a null filter array', (r) => (r.envelope.filter.identity = null)],
    ['a missing compound array', (r) => delete r.envelope.filter.compound],
    ['an unknown fact operator', (r) => (r.envelope.filter.fact = [{ fact: 'a', operator: '~', value: 'b' }])],
    ['compound items as strings', (r) => (r.envelope.filter.compound = ["with('x')"])],
    ['a time in milliseconds as a string', (r) => (r.envelope.time = '1796083200000')],
  ])('rejects a request with %s like a Go node', (_name, mutate) => {
    const request = workedRequest();
    mutate(request);
    expect(validators.request(request)).toBe(false);
  });

  it('accepts compound filters as arrays of expression objects, unlike the published schema', () => {
    const request = workedRequest();
    request.envelope.filter.compound = [[{ expr: "with('roles::web')" }]];
    expect(validators.request(request)).toBe(true);
    expect(validators.publishedRequest(request)).toBe(false);
  });
});
