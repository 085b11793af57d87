/**
 * Node inventory for ListNodes. Agents the nodes report join the DDL registry as fleet agents, so
 * ListAgents shows what actually runs even where the proxy has no DDL for it.
 */
import type { BrokerClient, DiscoveredNode } from '@proxy/broker/broker-client';
import { AppError } from '@proxy/errors';

import type { DdlRegistry } from './ddl-registry';

export interface NodeInventory {
  list(collective: string, discoveryTimeoutMs: number): Promise<DiscoveredNode[]>;
}

export interface NodeInventoryDeps {
  broker: BrokerClient;
  ddls: DdlRegistry;
  collectives: readonly string[];
  mainCollective: string;
  defaultDiscoveryTimeoutMs: number;
}

/** Refuses a collective the proxy is not configured for: its nodes would look silent, not absent. */
export function checkCollective(collective: string, configured: readonly string[]): void {
  if (collective && !configured.includes(collective)) {
    throw new AppError('INVALID_ARGUMENT', `collective ${collective} is not served by this proxy; it serves ${configured.join(', ')}`, {
      details: { input: 'collective', rule: 'collective' },
    });
  }
}

/** Lists nodes through the broker and records the agents they report. */
export function createNodeInventory(deps: NodeInventoryDeps): NodeInventory {
  return {
    async list(collective, discoveryTimeoutMs) {
      checkCollective(collective, deps.collectives);
      if (!deps.broker.isConnected()) throw new AppError('UNAVAILABLE', `broker unreachable: ${deps.broker.displayUrl}`);
      let nodes: DiscoveredNode[];
      try {
        nodes = await deps.broker.inventory(collective || deps.mainCollective, discoveryTimeoutMs || deps.defaultDiscoveryTimeoutMs);
      } catch (cause) {
        throw new AppError('UNAVAILABLE', `broker unreachable: ${deps.broker.displayUrl}`, { cause });
      }
      const agents = new Set<string>();
      for (const node of nodes) for (const agent of node.agents) agents.add(agent);
      deps.ddls.addFleetAgents([...agents].map((agent) => ({ agent })));
      return nodes;
    },
  };
}
