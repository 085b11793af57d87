import { Checkbox, FormGroup, FormHelperText, FormSelect, FormSelectOption, HelperText, HelperTextItem, TextArea, TextInput } from '@patternfly/react-core';
import type { DdlInputDto } from '@common/inventory';
import { JSONISH, NUMERIC, type DdlValues } from './ddl-values';

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
        const hints = [input.description, input.puppet_type ? `Puppet type ${input.puppet_type}` : `type ${type}`, !input.puppet_type && input.validation && `validation ${input.validation}`, input.maxlength ? `at most ${input.maxlength} characters` : '', input.default_json && `default ${input.default_json}`].filter(Boolean).join(' · ');
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
