import { Checkbox, FormGroup, FormHelperText, FormSelect, FormSelectOption, HelperText, HelperTextItem, TextArea, TextInput } from '@patternfly/react-core';
import type { DdlInputDto } from '@common/inventory';

/** Form values by input name: text for text-like inputs, boolean for checkboxes. */
export type DdlValues = Record<string, string | boolean>;

const NUMERIC = new Set(['integer', 'float', 'number']);
const JSONISH = new Set(['hash', 'array', 'any']);

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
 * Turns form values into job arguments by the DDL types. Optional inputs left empty are left out
 * (the DDL default applies on the server). Text that does not parse is sent as text, so the
 * server's DDL check answers with its own message; only required-but-empty is caught here.
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
    if (NUMERIC.has(type) && /^-?\d+(\.\d+)?$/.test(text.trim())) args[input.name] = Number(text.trim());
    else if (JSONISH.has(type)) {
      try {
        args[input.name] = JSON.parse(text);
      } catch {
        if (type === 'any') args[input.name] = text;
        else problems[input.name] = `${input.name} must be ${type === 'hash' ? 'a JSON object' : 'a JSON array'}`;
      }
    } else args[input.name] = text;
  }
  return { args, problems };
}

/** One field per DDL input: label (prompt), type, description, default, optional marker and the error. */
export function DdlForm({ inputs, values, errors, onChange }: { inputs: DdlInputDto[]; values: DdlValues; errors: Record<string, string>; onChange(values: DdlValues): void }) {
  if (inputs.length === 0) return <p className="pf-v6-u-color-200">This action takes no arguments.</p>;
  return (
    <>
      {inputs.map((input) => {
        const type = input.type.toLowerCase();
        const id = `ddl-input-${input.name}`;
        const error = errors[input.name];
        const set = (v: string | boolean) => onChange({ ...values, [input.name]: v });
        const label = input.prompt || input.name;
        const hints = [input.description, `type ${type}`, input.validation && `validation ${input.validation}`, input.maxlength ? `at most ${input.maxlength} characters` : '', input.default_json && `default ${input.default_json}`].filter(Boolean).join(' · ');
        const helper = (
          <FormHelperText>
            <HelperText>
              {error ? (
                <HelperTextItem variant="error" id={`${id}-error`}>{error}</HelperTextItem>
              ) : (
                <HelperTextItem>{hints}</HelperTextItem>
              )}
            </HelperText>
          </FormHelperText>
        );
        if (type === 'boolean') {
          return (
            <FormGroup key={input.name} fieldId={id} label={label}>
              <Checkbox id={id} label={input.description || input.name} isChecked={values[input.name] === true} onChange={(_e, v) => set(v)} />
              {helper}
            </FormGroup>
          );
        }
        const validated = error ? 'error' : 'default';
        return (
          <FormGroup key={input.name} fieldId={id} label={label} isRequired={!input.optional}>
            {type === 'list' && input.list.length > 0 ? (
              <FormSelect id={id} value={String(values[input.name] ?? '')} onChange={(_e, v) => set(v)} validated={validated} aria-label={label}>
                <FormSelectOption value="" label={input.optional ? '— default —' : '— choose —'} />
                {input.list.map((o) => <FormSelectOption key={o} value={o} label={o} />)}
              </FormSelect>
            ) : JSONISH.has(type) ? (
              <TextArea id={id} value={String(values[input.name] ?? '')} onChange={(_e, v) => set(v)} validated={validated} resizeOrientation="vertical" aria-describedby={error ? `${id}-error` : undefined} />
            ) : (
              <TextInput
                id={id}
                type={NUMERIC.has(type) ? 'text' : input.sensitive ? 'password' : 'text'}
                inputMode={NUMERIC.has(type) ? 'decimal' : undefined}
                value={String(values[input.name] ?? '')}
                onChange={(_e, v) => set(v)}
                validated={validated}
                aria-describedby={error ? `${id}-error` : undefined}
              />
            )}
            {helper}
          </FormGroup>
        );
      })}
    </>
  );
}
