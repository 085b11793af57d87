import { aborted, ok, type NodeState, type VirtualAgent } from './agent';

function providerOf(node: NodeState): string {
  const family = String((node.facts.os as { family?: unknown } | undefined)?.family ?? node.facts.osfamily ?? '');
  return family === 'RedHat' ? 'yum' : 'apt';
}

/** Deterministic "available" version of a package, the same on every node with the same seed. */
function latestVersion(node: NodeState, name: string): { version: string; release: string } {
  const r = node.random(`pkg:${name}`);
  return { version: `${1 + Math.floor(r * 4)}.${Math.floor(r * 100) % 20}.${Math.floor(r * 1000) % 10}`, release: String(1 + (Math.floor(r * 10000) % 9)) };
}

function describe(node: NodeState, name: string, output: string): Record<string, unknown> {
  const pkg = node.packages.get(name);
  const installed = pkg && !pkg.purged;
  return {
    output,
    epoch: '0',
    arch: installed ? pkg.arch : '',
    ensure: installed ? `${pkg.version}-${pkg.release}` : pkg?.purged ? 'purged' : 'absent',
    version: installed ? pkg.version : '',
    provider: providerOf(node),
    name,
    release: installed ? pkg.release : '',
  };
}

export const packageAgent: VirtualAgent = {
  name: 'package',
  handle(action, data, node) {
    const name = String(data.package ?? '');
    switch (action) {
      case 'status':
        return ok(describe(node, name, ''));
      case 'install': {
        const current = node.packages.get(name);
        if (current && !current.purged && !data.version) return ok(describe(node, name, `Package ${name} is already installed`));
        const latest = latestVersion(node, name);
        const requested = typeof data.version === 'string' ? data.version.split('-') : undefined;
        node.packages.set(name, {
          version: requested?.[0] ?? latest.version,
          release: requested?.[1] ?? latest.release,
          arch: 'amd64',
        });
        return ok(describe(node, name, `Installed ${name}`));
      }
      case 'update': {
        const current = node.packages.get(name);
        if (!current || current.purged) return aborted(`Package ${name} is not installed`, describe(node, name, ''));
        node.packages.set(name, { ...latestVersion(node, name), arch: current.arch });
        return ok(describe(node, name, `Updated ${name}`));
      }
      case 'uninstall':
        node.packages.delete(name);
        return ok(describe(node, name, `Removed ${name}`));
      case 'purge':
        node.packages.set(name, { version: '', release: '', arch: '', purged: true });
        return ok(describe(node, name, `Purged ${name}`));
      default:
        return aborted(`Action ${action} is not simulated by the virtual package agent`);
    }
  },
};
