import path from 'node:path';

import { createActionPolicy, createBuiltInPolicy, parsePolicy } from '@proxy/actions/action-policy';
import { createDdlRegistry, loadDdlDirectory } from '@proxy/actions/ddl-registry';

/** Policy files in memory, keyed by name inside the policy folder. */
function policyWith(files: Record<string, string>, options: { enableDefault?: boolean; allowUnconfigured?: boolean } = {}) {
  return createActionPolicy({
    directory: '/policies',
    enableDefault: options.enableDefault ?? false,
    defaultName: 'default',
    allowUnconfigured: options.allowUnconfigured ?? false,
    readFile: (file) => files[file.replace('/policies/', '')],
  });
}

describe(createActionPolicy.name, () => {
  it('denies an agent without a policy file, as Go Choria does', () => {
    expect(policyWith({}).check('user=alice', 'package', 'status')).toEqual({ allowed: false, reason: 'no policy file for agent package' });
  });

  it('uses the default policy file for agents without one when enabled', () => {
    const policy = policyWith({ 'default.policy': 'policy default allow\n' }, { enableDefault: true });
    expect(policy.check('user=alice', 'service', 'restart').allowed).toBe(true);
  });

  it('lets the first matching rule decide when several match', () => {
    const policy = policyWith({ 'package.policy': 'policy default allow\ndeny\t*\tinstall\t*\t*\nallow\tuser=alice\tinstall\t*\t*\n' });
    expect(policy.check('user=alice', 'package', 'install')).toEqual({ allowed: false, reason: 'package.policy line 2 denies user=alice package.install' });
    expect(policy.check('user=alice', 'package', 'status').allowed).toBe(true);
  });

  it('matches callers by id, by /regex/ and by group from the groups file', () => {
    const policy = policyWith({
      'rpcutil.policy': 'allow\tuser=carol\tping\t*\t*\nallow\t/^user=ops-/\tinventory\t*\t*\nallow\tadmins\t*\t*\t*\n',
      groups: 'admins user=root user=alice\n',
    });
    expect(policy.check('user=carol', 'rpcutil', 'ping').allowed).toBe(true);
    expect(policy.check('user=carol', 'rpcutil', 'inventory').allowed).toBe(false);
    expect(policy.check('user=ops-7', 'rpcutil', 'inventory').allowed).toBe(true);
    expect(policy.check('user=alice', 'rpcutil', 'daemon_stats').allowed).toBe(true);
    expect(policy.check('user=mallory', 'rpcutil', 'daemon_stats').allowed).toBe(false);
  });

  it('falls back to allow_unconfigured inside a file without a policy default line', () => {
    const text = 'allow\tuser=alice\tstatus\t*\t*\n';
    expect(policyWith({ 'package.policy': text }).check('user=bob', 'package', 'status').allowed).toBe(false);
    expect(policyWith({ 'package.policy': text }, { allowUnconfigured: true }).check('user=bob', 'package', 'status').allowed).toBe(true);
  });

  it('never allows through a rule with fact or class conditions, and always denies through one', () => {
    const policy = policyWith({ 'service.policy': 'policy default allow\nallow\tuser=alice\trestart\tos.family=Debian\t*\ndeny\t*\tstop\t*\troles::db\n' });
    expect(policy.check('user=alice', 'service', 'restart').reason).toContain('no rule matches');
    expect(policy.check('user=alice', 'service', 'stop')).toMatchObject({ allowed: false, reason: 'service.policy line 3 denies user=alice service.stop' });
  });

  it('denies the whole agent when a rule line is malformed', () => {
    const policy = policyWith({ 'package.policy': 'policy default allow\nallow user=alice status * *\n' });
    expect(policy.check('user=alice', 'package', 'status')).toEqual({ allowed: false, reason: "package.policy line 2 is not 'allow|deny<TAB>callers<TAB>actions<TAB>facts<TAB>classes'" });
  });

  it('refuses an agent name that is not a plain word', () => {
    expect(policyWith({ '../x.policy': 'policy default allow\n' }).check('user=a', '../x', 'run').allowed).toBe(false);
  });
});

describe(parsePolicy.name, () => {
  it('skips comments and blank lines and reads the default', () => {
    expect(parsePolicy('# comment\n\npolicy default allow\nallow\t*\t*\t*\t*\n')).toEqual({ defaultAllow: true, rules: [{ allow: true, callers: ['*'], actions: ['*'], nodeConditions: false, line: 4 }] });
  });
});

describe(createBuiltInPolicy.name, () => {
  const ddls = createDdlRegistry(loadDdlDirectory(path.resolve(__dirname, '../../../proxy-plugin/ddl')).agents);
  ddls.addFleetAgents([{ agent: 'reported_only' }]);
  const policy = createBuiltInPolicy(ddls);

  it('allows a ui-extension user every action whose DDL the proxy serves', () => {
    expect(policy.check('user=alice', 'package', 'install')).toEqual({ allowed: true, reason: 'built-in policy allows user=alice package.install' });
    expect(policy.check('user=ops.team+1@example.com', 'rpcutil', 'ping').allowed).toBe(true);
  });

  it.each(['user=', 'user=a b', 'user=x;reboot', 'choria=rex.mcollective', 'alice', `user=${'a'.repeat(101)}`])('denies the caller %s, which the ui-extension never sends', (callerid) => {
    expect(policy.check(callerid, 'rpcutil', 'ping')).toEqual({ allowed: false, reason: expect.stringContaining('is not user=<ui-extension login>') });
  });

  it('denies an action without a DDL on this proxy: an unknown one, or an agent the fleet only reported', () => {
    expect(policy.check('user=alice', 'package', 'format_disk')).toEqual({ allowed: false, reason: 'built-in policy: package.format_disk has no DDL on this proxy' });
    expect(policy.check('user=alice', 'reported_only', 'run').allowed).toBe(false);
    expect(policy.check('user=alice', 'nope', 'run').allowed).toBe(false);
  });
});
