import { maskedInputs, SENSITIVE_MASK, splitSensitiveArguments } from '@server/jobs/sensitive-arguments';

const action = {
  inputs: [
    { name: 'user', sensitive: false },
    { name: 'token', sensitive: true },
    { name: 'password', sensitive: true },
  ],
} as Parameters<typeof splitSensitiveArguments>[0];

describe(splitSensitiveArguments.name, () => {
  it('stores the mask in place of each sensitive value and keeps the values apart', () => {
    expect(splitSensitiveArguments(action, { user: 'alice', token: 'abc123', password: { nested: true } })).toEqual({
      stored: { user: 'alice', token: SENSITIVE_MASK, password: SENSITIVE_MASK },
      secrets: { token: 'abc123', password: { nested: true } },
    });
  });

  it('leaves arguments alone when nothing sensitive is given', () => {
    expect(splitSensitiveArguments(action, { user: 'bob' })).toEqual({ stored: { user: 'bob' }, secrets: {} });
  });
});

describe(maskedInputs.name, () => {
  it('names the sensitive inputs whose stored value is the mask', () => {
    expect(maskedInputs(action, { user: 'alice', token: SENSITIVE_MASK })).toEqual(['token']);
    expect(maskedInputs(action, { user: SENSITIVE_MASK })).toEqual([]);
  });
});
