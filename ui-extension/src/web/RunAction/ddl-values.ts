import { parse } from 'lossless-json';
import { typeInputText } from '@common/input-typing';
import type { DdlInputDto } from '@common/inventory';

/** Form values by input name: text for text-like inputs, boolean for checkboxes. */
export type DdlValues = Record<string, string | boolean>;

export const NUMERIC = new Set(['integer', 'float', 'number']);
export const JSONISH = new Set(['hash', 'array', 'any']);

function defaultOf(input: DdlInputDto): unknown {
  if (!input.default_json) return undefined;
  try {
    return JSON.parse(input.default_json);
  } catch {
    return undefined;
  }
}

/** The form's starting values: the DDL defaults, then any stored arguments over them. */
export function initialValues(inputs: DdlInputDto[], args: Record<string, unknown> = {}): DdlValues {
  const values: DdlValues = {};
  for (const input of inputs) {
    const type = input.type.toLowerCase();
    const v = input.name in args ? args[input.name] : defaultOf(input);
    if (type === 'boolean') values[input.name] = v === true;
    else if (v === undefined || v === null) values[input.name] = '';
    else values[input.name] = typeof v === 'string' ? v : JSON.stringify(v);
  }
  return values;
}

/**
 * Turns form values into job arguments by the DDL types, numbers by `mco rpc`'s rules and kept
 * exact (send them with lossless-json's stringify). Optional inputs left empty are left out (the
 * DDL default applies on the server). Number text `mco rpc` would not read is a problem here; other
 * text is sent as text, so the server's DDL check answers with its own message.
 */
export function toArguments(inputs: DdlInputDto[], values: DdlValues): { args: Record<string, unknown>; problems: Record<string, string> } {
  const args: Record<string, unknown> = {};
  const problems: Record<string, string> = {};
  for (const input of inputs) {
    const type = input.type.toLowerCase();
    const raw = values[input.name];
    if (type === 'boolean') {
      args[input.name] = raw === true;
      continue;
    }
    const text = typeof raw === 'string' ? raw : '';
    if (text.trim() === '') {
      if (!input.optional) problems[input.name] = `${input.prompt || input.name} is required`;
      continue;
    }
    if (NUMERIC.has(type)) {
      // The same rules as `mco rpc` and `rex job run` (common/input-typing.ts): `2` is an integer
      // and `2.0` a float, so a float input typed `2` is refused by the server's DDL check.
      const typed = typeInputText(type, text.trim());
      if (typed.ok) args[input.name] = typed.value;
      else problems[input.name] = `${input.prompt || input.name}: ${typed.message}`;
    } else if (JSONISH.has(type)) {
      try {
        args[input.name] = parse(text);
      } catch {
        if (type === 'any') args[input.name] = text;
        else problems[input.name] = `${input.name} must be ${type === 'hash' ? 'a JSON object' : 'a JSON array'}`;
      }
    } else args[input.name] = text;
  }
  return { args, problems };
}
