import { formatDuration, targetingText } from '../../../../ui-extension/src/web/shared/format';

describe(formatDuration.name, () => {
  it('reads as operators write durations, to the second', () => {
    expect(formatDuration(45_400)).toBe('45s');
    expect(formatDuration(125_000)).toBe('2m 05s');
    expect(formatDuration(3_723_000)).toBe('1h 02m 03s');
    expect(formatDuration(-5)).toBe('0s');
  });
});

describe(targetingText.name, () => {
  const t = { search: null, host_ids: null, hostgroup_id: 2, pql: null };
  it('names a hostgroup by its title once known, by its id until then', () => {
    expect(targetingText(t, 'base/web')).toBe('hostgroup base/web');
    expect(targetingText(t)).toBe('hostgroup #2');
  });
});
