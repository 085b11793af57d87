/**
 * Checks an action's arguments against its DDL before anything reaches the broker, the way a Choria
 * client (and a Go node) would: unknown action or input, required inputs, types, `validation`,
 * `maxlength` and list values; then applies DDL defaults to missing inputs. The rules themselves are
 * in `@protos/ddl-validation`, shared with the ui-extension.
 */
import { validateDdlArguments } from '@protos/ddl-validation';
import { AppError } from '@proxy/errors';

import type { ActionSpec, AgentSpec, DdlRegistry } from './ddl-registry';

export interface ResolvedAction {
  agent: AgentSpec;
  action: ActionSpec;
}

function invalid(message: string, details: Record<string, unknown>): AppError {
  return new AppError('INVALID_ARGUMENT', message, { details });
}

/** The DDL of agent#action, or INVALID_ARGUMENT saying which part is unknown. */
export function resolveAction(registry: DdlRegistry, agentName: string, actionName: string): ResolvedAction {
  const agent = registry.get(agentName);
  if (!agent) {
    throw invalid(`unknown agent ${agentName}; known agents: ${registry.list().map((a) => a.metadata.name).join(', ')}`, { agent: agentName, rule: 'unknown_agent' });
  }
  if (agent.actions.size === 0) {
    throw invalid(`agent ${agentName} has no DDL on this proxy, so its actions cannot be validated; add its DDL to the DDL directory`, { agent: agentName, rule: 'no_ddl' });
  }
  const action = agent.actions.get(actionName);
  if (!action) {
    throw invalid(`unknown action ${agentName}#${actionName}; known actions: ${[...agent.actions.keys()].join(', ')}`, { agent: agentName, action: actionName, rule: 'unknown_action' });
  }
  return { agent, action };
}

/**
 * Validates the arguments of one action and returns them with DDL defaults applied.
 * Throws AppError INVALID_ARGUMENT with details {input, rule} for the first problem found.
 */
export function validateArguments(resolved: ResolvedAction, args: unknown): Record<string, unknown> {
  const where = `${resolved.agent.metadata.name}#${resolved.action.name}`;
  const result = validateDdlArguments([...resolved.action.inputs.values()], args, where);
  if (!result.ok) {
    const { input, rule, message } = result.problem;
    throw invalid(message, { input, rule });
  }
  return result.data;
}
