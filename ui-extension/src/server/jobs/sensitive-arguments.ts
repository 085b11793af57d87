/**
 * Sensitive arguments (DDL inputs marked sensitive, Puppet Task parameters that are `sensitive` or
 * of type Sensitive[...]) are never stored: the remote action keeps a mask in their place, and the
 * values live only in the memory of the instance that created the job, long enough to send them
 * to the proxies. A job whose values are gone (a restart took it over) fails its hosts with that
 * reason instead of running with the mask.
 */
import type { DdlAction__Output } from '@protos/generated/rex/proxy/v1/DdlAction';

export const SENSITIVE_MASK = '********';

export interface SplitArguments {
  /** What is stored and shown: sensitive values replaced by the mask. */
  stored: Record<string, unknown>;
  /** The sensitive values, by input name; empty when there are none. */
  secrets: Record<string, unknown>;
}

export function splitSensitiveArguments(action: Pick<DdlAction__Output, 'inputs'>, args: Record<string, unknown>): SplitArguments {
  const sensitive = new Set(action.inputs.filter((input) => input.sensitive).map((input) => input.name));
  const stored: Record<string, unknown> = {};
  const secrets: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(args)) {
    if (sensitive.has(name) && value !== undefined && value !== null) {
      stored[name] = SENSITIVE_MASK;
      secrets[name] = value;
    } else {
      stored[name] = value;
    }
  }
  return { stored, secrets };
}

/** Inputs whose stored value is the mask: the job cannot run without their values from memory. */
export function maskedInputs(action: Pick<DdlAction__Output, 'inputs'>, stored: Record<string, unknown>): string[] {
  return action.inputs.filter((input) => input.sensitive && stored[input.name] === SENSITIVE_MASK).map((input) => input.name);
}
