import { canonicalJson, remoteActionHash } from '@server/jobs/canonical-arguments';

describe(canonicalJson.name, () => {
  it('sorts keys at every depth when objects are nested', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { z: 1, y: 2 }], c: null } })).toBe('{"a":{"c":null,"d":[2,{"y":2,"z":1}]},"b":1}');
  });

  it('keeps array order when a list input is given', () => {
    expect(canonicalJson({ l: [3, 1, 2] })).toBe('{"l":[3,1,2]}');
  });

  it('drops undefined properties when an input was left out', () => {
    expect(canonicalJson({ a: undefined, b: 'x' })).toBe('{"b":"x"}');
  });
});

describe(remoteActionHash.name, () => {
  it('is equal when the same arguments come in another key order', () => {
    expect(remoteActionHash('package', 'install', { package: 'vim', version: '1' })).toBe(remoteActionHash('package', 'install', { version: '1', package: 'vim' }));
  });

  it('differs when the action differs', () => {
    expect(remoteActionHash('package', 'install', { package: 'vim' })).not.toBe(remoteActionHash('package', 'uninstall', { package: 'vim' }));
  });

  it('differs when a value differs only in type', () => {
    expect(remoteActionHash('service', 'status', { n: 1 })).not.toBe(remoteActionHash('service', 'status', { n: '1' }));
  });

  it('cannot be confused by moving text between namespace and action', () => {
    expect(remoteActionHash('ab', 'c', {})).not.toBe(remoteActionHash('a', 'bc', {}));
  });
});
