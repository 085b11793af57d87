import { BlockList, isIP, type LookupFunction } from 'node:net';

/**
 * Link-local addresses (169.254.0.0/16, fe80::/10) are where the cloud metadata services answer
 * (169.254.169.254): never a webhook receiver. IPv6 forms that carry such an IPv4 address are refused
 * too: IPv4-mapped (::ffff:a9fe:a9fe, which the socket reaches as 169.254.169.254), IPv4-compatible
 * (::169.254.x.x) and NAT64 (64:ff9b::169.254.x.x); and AWS's IPv6 metadata address fd00:ec2::254,
 * which sits in the private range. Loopback and private addresses are otherwise allowed on purpose:
 * receivers on the same machine or network are normal (docs/SECURITY.md).
 */
const linkLocal = new BlockList();
linkLocal.addSubnet('169.254.0.0', 16, 'ipv4');
linkLocal.addSubnet('fe80::', 10, 'ipv6');
// BlockList matches ::ffff:0:0/96 (mapped) against the IPv4 rule itself; these two it does not.
linkLocal.addSubnet('::169.254.0.0', 112, 'ipv6');
linkLocal.addSubnet('64:ff9b::169.254.0.0', 112, 'ipv6');
linkLocal.addAddress('fd00:ec2::254', 'ipv6');

/** Whether an IP address (any spelling `net` parses; brackets allowed) is link-local or a metadata address. A host name is not. */
export function isLinkLocalAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, '');
  const family = isIP(bare);
  if (family === 0) return false;
  return linkLocal.check(bare, family === 4 ? 'ipv4' : 'ipv6');
}

/** The error of a refused address, with the reason the delivery log shows. */
export class WebhookAddressRefused extends Error {
  readonly code = 'ERR_WEBHOOK_ADDRESS_REFUSED';
  constructor(host: string, address: string) {
    super(host === address
      ? `refused: ${address} is a link-local or cloud metadata address`
      : `refused: ${host} resolves to ${address}, a link-local or cloud metadata address`);
  }
}

/** A resolver: every address a name has. Injected in tests, where no DNS server is reachable. */
export type ResolveAll = (hostname: string) => Promise<Array<{ address: string; family: number }>>;

/**
 * The `lookup` a connection uses: resolves the name when the socket connects (so DNS rebinding
 * between any earlier check and the connection cannot pass) and fails it if any address is
 * link-local, before a byte is sent. Answers both shapes `net` asks for (`all` with
 * autoSelectFamily, one address without).
 */
export function guardedLookup(resolve: ResolveAll): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname).then(
      (found) => {
        const wanted = options.family === 4 || options.family === 6 ? found.filter((a) => a.family === options.family) : found;
        const refused = found.find((a) => isLinkLocalAddress(a.address));
        if (refused) return callback(new WebhookAddressRefused(hostname, refused.address) as NodeJS.ErrnoException, '', 4);
        if (wanted.length === 0) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '', 4);
        if (options.all) return (callback as unknown as (e: null, a: typeof wanted) => void)(null, wanted);
        return callback(null, wanted[0].address, wanted[0].family);
      },
      (error: NodeJS.ErrnoException) => callback(error, '', 4),
    );
  };
}
