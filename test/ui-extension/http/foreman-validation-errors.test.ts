import { AppError } from '@server/errors';
import { foremanValidationErrors } from '@server/http/error-handler';

describe(foremanValidationErrors.name, () => {
  it('lists the rules per field and each field with its rule when fields are named', () => {
    const error = new AppError('INVALID_ARGUMENT', 'bad', { httpStatus: 422, details: { fields: [{ field: 'job.timeout', rule: 'must be positive' }, { field: 'job.timeout', rule: 'must be whole' }, { field: 'name', rule: 'is required' }] } });
    expect(foremanValidationErrors(error)).toEqual({
      errors: { 'job.timeout': ['must be positive', 'must be whole'], name: ['is required'] },
      full_messages: ['job.timeout must be positive', 'job.timeout must be whole', 'name is required'],
    });
  });

  it('puts the message under base when no field is named', () => {
    expect(foremanValidationErrors(new AppError('INVALID_ARGUMENT', 'no host matches', { httpStatus: 422 }))).toEqual({ errors: { base: ['no host matches'] }, full_messages: ['no host matches'] });
  });

  it('keeps a field named __proto__ as an ordinary key when a body names one', () => {
    const result = foremanValidationErrors(new AppError('INVALID_ARGUMENT', 'bad', { httpStatus: 422, details: { fields: [{ field: '__proto__', rule: 'is not a known field' }] } }));
    expect(JSON.parse(JSON.stringify(result))).toEqual(JSON.parse('{"errors":{"__proto__":["is not a known field"]},"full_messages":["__proto__ is not a known field"]}'));
    expect(({} as { push?: unknown }).push).toBeUndefined();
  });
});
