import { isAppError } from '../errors';

/** What GetInfo answers, as far as registration reads it (proxies/proxy-client.ts `getInfo`). */
export interface ProxyInfoLike {
  name: string;
  version: string;
  /** The proto's enum name, e.g. `TRANSPORT_CHORIA`. */
  transport: string;
  capabilities: string[];
  demo: boolean;
}

export type GetProxyInfo = (url: string) => Promise<ProxyInfoLike>;

/** What a smart proxy row stores of a proxy's answer. */
export interface ProxyFeatures {
  /** Foreman's display names of the capabilities (`Remote Execution`), as Foreman lists a proxy's features. */
  features: string[];
  /** What the proxy says it can do (`remote_execution`, `choria`, `puppet_tasks`); jobs go by these. */
  capabilities: string[];
  transport: string | null;
  version: string | null;
  demo: boolean;
}

/** Foreman's feature names for the capabilities a proxy-plugin advertises (proxy-plugin/src/plugin.ts). */
const FEATURE_NAMES: Record<string, string> = {
  remote_execution: 'Remote Execution',
  puppet_tasks: 'Puppet Tasks',
  choria: 'Choria',
  mcollective: 'MCollective',
  demo: 'Demo',
};

const TRANSPORTS: Record<string, string> = { TRANSPORT_CHORIA: 'choria', TRANSPORT_MCOLLECTIVE: 'mcollective', TRANSPORT_DEMO: 'demo' };

/** `remote_execution` -> `Remote Execution`; a capability without a known name gets its words capitalized. */
export function featuresOf(capabilities: readonly string[]): string[] {
  return capabilities.map((c) => FEATURE_NAMES[c] ?? c.split('_').map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join(' '));
}

/**
 * Asks the proxy at `url` what it can do (Foreman's "Refresh features"): GetInfo through the proxy
 * client, the only gRPC client. Throws what the client throws (UNAVAILABLE naming the URL, or
 * FAILED_PRECONDITION when no channel may be opened to it).
 */
export async function readProxyFeatures(getInfo: GetProxyInfo, url: string): Promise<ProxyFeatures> {
  const info = await getInfo(url);
  const capabilities = [...new Set(info.capabilities)];
  return { features: featuresOf(capabilities), capabilities, transport: TRANSPORTS[info.transport] ?? null, version: info.version || null, demo: info.demo };
}

/** Why a proxy could not be asked, for the caller: the client's message is safe to show, anything else is not. */
export function unreachableReason(error: unknown): string {
  return isAppError(error) ? error.message : 'the call failed';
}
