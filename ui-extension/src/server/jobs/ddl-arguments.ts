/**
 * Checks a job's arguments against the action's DDL before the job is created (issue 5), with the
 * same rules the proxy applies (`@protos/ddl-validation`), so the user gets a 422 naming the input
 * and the rule instead of a failure from the proxy later.
 */
import { validateDdlArguments, type DdlInputRule } from '@protos/ddl-validation';
import type { DdlInput__Output } from '@protos/generated/rex/proxy/v1/DdlInput';
import { AppError } from '../errors';
import type { ValidateArguments } from './job-invocation.service';

/** The rules of one proto input; the proto sends "none" as '', 0, [] and an empty `default_json`. */
function toRule(input: DdlInput__Output): DdlInputRule {
  let defaultValue: unknown;
  if (input.default_json !== '') {
    try {
      defaultValue = JSON.parse(input.default_json);
    } catch (cause) {
      throw new AppError('INTERNAL', `the DDL default of input ${input.name} is not valid JSON`, { cause });
    }
  }
  return {
    name: input.name,
    type: input.type,
    optional: input.optional,
    validation: input.validation === '' ? undefined : input.validation,
    maxlength: input.maxlength,
    list: input.list.length > 0 ? input.list : undefined,
    default: defaultValue === null ? undefined : defaultValue,
    // Puppet Task parameters: the type expression is the rule (protos/puppet-types.ts).
    puppetType: input.puppet_type ? input.puppet_type : undefined,
    sensitive: input.sensitive,
  };
}

/** Returns the arguments with DDL defaults applied; throws AppError 422 with details {input, rule}. */
export const validateJobArguments: ValidateArguments = (action, args) => {
  const result = validateDdlArguments(action.inputs.map(toRule), args, action.name);
  if (!result.ok) {
    const { input, rule, message } = result.problem;
    throw new AppError('INVALID_ARGUMENT', message, { httpStatus: 422, details: { input, rule } });
  }
  return result.data;
};
