import type { LookupAddress } from 'node:dns';
import { guardedLookup, isLinkLocalAddress } from '@server/webhooks/webhook-address';

describe(isLinkLocalAddress.name, () => {
  it.each([
    '169.254.169.254', '169.254.0.0', '169.254.255.255',
    'fe80::1', 'FE80::1', '[fe80::1]', 'febf:ffff::1', 'fe80:0000:0000:0000:0000:0000:0000:0001',
    // IPv4 forms in IPv6: mapped, mapped in hex and in full, compatible, NAT64.
    '::ffff:169.254.169.254', '::ffff:a9fe:a9fe', '[::ffff:a9fe:a9fe]', '0:0:0:0:0:ffff:a9fe:a9fe', '::a9fe:a9fe', '64:ff9b::a9fe:a9fe',
    // AWS's IPv6 metadata address (in the private range, refused by name).
    'fd00:ec2::254',
  ])('refuses %s when it is link-local or a metadata address', (address) => {
    expect(isLinkLocalAddress(address)).toBe(true);
  });

  it.each(['127.0.0.1', '::1', '::ffff:127.0.0.1', '10.0.0.1', '192.168.1.10', '172.16.0.1', 'fd00::1', 'fec0::1', '169.253.255.255', '169.255.0.0', '8.8.8.8', '2001:db8::1', 'metadata.google.internal', '169.254.169.254.nip.io'])(
    'allows %s when it is loopback, private, public or a host name',
    (address) => {
      expect(isLinkLocalAddress(address)).toBe(false);
    },
  );
});

describe(guardedLookup.name, () => {
  const table: Record<string, LookupAddress[]> = {
    'metadata.test': [{ address: '169.254.169.254', family: 4 }],
    'mixed.test': [{ address: '127.0.0.1', family: 4 }, { address: '::ffff:a9fe:a9fe', family: 6 }],
    'receiver.test': [{ address: '127.0.0.1', family: 4 }, { address: '::1', family: 6 }],
  };
  const lookup = guardedLookup(async (host) => table[host] ?? Promise.reject(Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' })));
  const ask = (host: string, options: { all?: boolean; family?: number }) =>
    new Promise<{ error: NodeJS.ErrnoException | null; result: unknown }>((resolve) => {
      lookup(host, options, (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => resolve({ error, result: options.all ? address : { address, family } }));
    });

  it('fails with the reason when the name resolves to a link-local address', async () => {
    const { error } = await ask('metadata.test', { all: true });
    expect(error).toMatchObject({ code: 'ERR_WEBHOOK_ADDRESS_REFUSED', message: 'refused: metadata.test resolves to 169.254.169.254, a link-local or cloud metadata address' });
  });

  it('fails when any address of the name is link-local, also one the connection would not have picked', async () => {
    const { error } = await ask('mixed.test', { family: 4 });
    expect(error?.message).toBe('refused: mixed.test resolves to ::ffff:a9fe:a9fe, a link-local or cloud metadata address');
  });

  it('answers every address when asked for all, and the first of a family when asked for one', async () => {
    expect(await ask('receiver.test', { all: true })).toEqual({ error: null, result: table['receiver.test'] });
    expect(await ask('receiver.test', { family: 6 })).toEqual({ error: null, result: { address: '::1', family: 6 } });
  });

  it('passes the resolver\'s error on when the name does not resolve', async () => {
    expect((await ask('nowhere.test', {})).error?.code).toBe('ENOTFOUND');
  });
});
