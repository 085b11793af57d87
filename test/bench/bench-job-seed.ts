/**
 * A job of `hosts` rpcutil#ping hosts over two proxies, stored straight through the repository (no
 * targeting, no dispatch): the 100k-host job page bench and the long-poll CPU bench start from it.
 */
import type { DataSource } from 'typeorm';
import type { HostCounts, HostState } from '@common/jobs';
import { createJobInvocationRepository, dbDate } from '@server/jobs/job-invocation.repository';
import { emptyCounts } from '@server/jobs/host-states';
import { proxyPluginAgents } from '@test/ui-extension/jobs/support/grpc-proxies';
import { seedInventory } from '@test/ui-extension/jobs/support/job-stack';

export interface BenchJobSeed {
  hosts: number;
  /** Proxy names are `<proxyPrefix>-1` and `-2`, on loopback ports `portBase + 1` and `+ 2` (never dialled). */
  proxyPrefix: string;
  portBase: number;
  description: string;
  /** Each host's stored state (index from 0) and the job's counts to match. */
  state: (host: number) => HostState;
  counts: Partial<HostCounts>;
  /** Hosts are stored final (finished now) rather than pending. */
  final: boolean;
}

export async function seedBenchJob(ds: DataSource, seed: BenchJobSeed): Promise<{ jobId: number; now: Date }> {
  const now = new Date();
  const proxies = [1, 2].map((p) => ({ name: `${seed.proxyPrefix}-${p}`, url: `127.0.0.1:${seed.portBase + p}`, capabilities: ['remote_execution'] }));
  const seeded = await seedInventory(ds, { hostgroups: ['bench'], proxies, hosts: [] });
  const proxyIds = proxies.map((p) => seeded.proxyIds.get(p.name)!);
  const hostgroupId = seeded.hostgroupIds.get('bench')!;
  const ping = proxyPluginAgents().find((a) => a.metadata?.name === 'rpcutil')!.actions.find((a) => a.name === 'ping')!;
  await ds.query(`INSERT INTO remote_actions (id, namespace, action, arguments, arguments_hash, created_at) VALUES (1, 'rpcutil', 'ping', '{}', 'bench', '${dbDate(now)}')`);
  const pad = (i: number) => String(i).padStart(6, '0');
  const jobId = await createJobInvocationRepository(ds).createJob({
    remoteActionId: 1, parentId: null, owner: 'admin', ownerId: null, description: seed.description, targetingSearch: 'name ~ host-', targetingHostIds: null, targetingHostgroupId: null,
    factNames: [], concurrencyLevel: null, batchSize: null, timeoutS: 3600, ddl: JSON.stringify(ping), counts: { ...emptyCounts(), ...seed.counts }, smartProxyIds: proxyIds,
    leaseOwner: null, leaseExpiresAt: null, now,
    hosts: Array.from({ length: seed.hosts }, (_, h) => ({ hostId: h + 1, hostName: `host-${pad(h)}.example.com`, smartProxyId: proxyIds[h % 2], hostgroupId, state: seed.state(h), reason: null, finishedAt: seed.final ? now : null })),
  });
  return { jobId, now };
}
