import { flattenFacts } from '@protos/facts';
import { createChoriaClient } from '@proxy/broker/choria.client';

describe(flattenFacts.name, () => {
  it('joins nested keys with :: and turns values into strings when flattening', () => {
    expect(
      flattenFacts({ os: { family: 'Debian', release: { major: '12' } }, processorcount: 4, virtual: false, ips: ['10.0.0.1'], none: null }),
    ).toEqual({ 'os::family': 'Debian', 'os::release::major': '12', processorcount: '4', virtual: 'false', ips: '["10.0.0.1"]', none: 'null' });
  });
});

describe(createChoriaClient.name, () => {
  const options = {
    natsUrl: 'nats://rex:s3cret@broker.example.net:4222',
    collectives: ['mcollective'],
    mainCollective: 'mcollective',
    callerid: 'choria=rex.mcollective',
    senderid: 'proxy.example.net',
    security: { mode: 'insecure' as const },
  };

  it('hides credentials in the display URL', () => {
    expect(createChoriaClient(options).displayUrl).toBe('nats://broker.example.net:4222');
  });

  it('refuses to call before it is connected', async () => {
    const client = createChoriaClient(options);
    expect(client.isConnected()).toBe(false);
    await expect(
      client.callDirected({
        request: { agent: 'rpcutil', action: 'ping', data: {}, collective: 'mcollective', callerid: '', ttlSeconds: 60 },
        identities: ['a'],
        onReply: () => {},
        signal: new AbortController().signal,
        timeoutMs: 10,
      }),
    ).rejects.toThrow('not connected to NATS at nats://broker.example.net:4222');
  });

  it('rejects an x509 configuration whose key is not RSA when created', () => {
    const { generateKeyPairSync } = jest.requireActual<typeof import('node:crypto')>('node:crypto');
    const { privateKey } = generateKeyPairSync('ed25519');
    expect(() =>
      createChoriaClient({ ...options, security: { mode: 'x509', certPem: 'unused', keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() } }),
    ).toThrow('x509 signing needs an RSA key');
  });
});
