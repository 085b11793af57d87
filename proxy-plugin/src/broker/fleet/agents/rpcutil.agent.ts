import { lookupFact } from '../filter-match';
import { NODE_DDLS } from '../node-ddl';
import { ok, type NodeState, type VirtualAgent } from './agent';

/** The server version reported by inventory: the rpcutil DDL version the fleet was built against. */
const SERVER_VERSION = NODE_DDLS.rpcutil.metadata.version;

export const rpcutilAgent: VirtualAgent = {
  name: 'rpcutil',
  handle(action, data, node: NodeState) {
    switch (action) {
      case 'ping':
        return ok({ pong: Math.floor(node.nowMs() / 1000) });
      case 'inventory':
        return ok({
          agents: [...node.agents],
          classes: [...node.classes],
          collectives: [...node.collectives],
          data_plugins: [],
          facts: node.facts,
          // go-choria returns an array here although the DDL declares a hash.
          machines: [],
          main_collective: node.mainCollective,
          version: SERVER_VERSION,
          upgradable: false,
        });
      case 'get_fact': {
        const fact = String(data.fact);
        return ok({ fact, value: lookupFact(node.facts, fact) ?? null });
      }
      case 'get_facts': {
        const values: Record<string, unknown> = {};
        for (const name of String(data.facts).split(',').map((f) => f.trim()).filter(Boolean)) {
          values[name] = lookupFact(node.facts, name) ?? null;
        }
        return ok({ values });
      }
      case 'agent_inventory':
        return ok({
          agents: node.agents
            .filter((name) => NODE_DDLS[name])
            .map((name) => {
              const m = NODE_DDLS[name].metadata;
              return { agent: name, name: m.name, description: m.description, author: m.author, license: m.license, version: m.version, url: m.url, timeout: m.timeout };
            }),
        });
      case 'collective_info':
        return ok({ main_collective: node.mainCollective, collectives: [...node.collectives] });
      default:
        return { statuscode: 2, statusmsg: `Unknown action ${action} for agent rpcutil`, data: {} };
    }
  },
};
