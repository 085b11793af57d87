/**
 * The Ruby DDL parser against MCollective itself: every agent DDL the Debian mcollective package
 * installs, the test fleet's rexcheck agent and a loop-style DDL fixture are read by our parser
 * and by MCollective::DDL (Ruby, through `ruby -e`), and the two must describe the same metadata, actions, inputs,
 * outputs, display modes and aggregates.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

import { loadDdlDirectory, parseAgentDdl } from '@proxy/actions/ddl-registry';
import { parseRubyDdl } from '@proxy/actions/ruby-ddl';
import { DEBIAN_AGENT_DDL_DIRECTORY, FLEET_AGENT_DIRECTORY, requireMcollectivePackages } from '@test/fleet/mcollective/mcollective-fleet';

/** Loads a DDL with MCollective's own DDL class and prints what it registered, as JSON. */
const RUBY_ORACLE = `
require "json"
require "mcollective"
ddl = MCollective::DDL::AgentDDL.new(File.basename(ARGV[0], ".ddl"), :agent, false)
ddl.instance_eval(File.read(ARGV[0]), ARGV[0])
puts JSON.generate({ "metadata" => ddl.meta, "actions" => ddl.entities.values })
`;

function rubyView(file: string): { metadata: Record<string, unknown>; actions: Array<Record<string, unknown>> } {
  return JSON.parse(execFileSync('ruby', ['-e', RUBY_ORACLE, file], { encoding: 'utf8' })) as never;
}

/** Ruby fills `default: nil` into every input and output; ours leaves absent keys out. */
function normalise(ddl: { metadata: Record<string, unknown>; actions: Array<Record<string, unknown>> }) {
  const withDefaults = (entries: Record<string, Record<string, unknown>>) =>
    Object.fromEntries(Object.entries(entries).map(([name, spec]) => [name, { default: null, ...spec }]));
  return {
    metadata: ddl.metadata,
    actions: ddl.actions
      .map((action): Record<string, unknown> => ({
        ...action,
        display: action.display ?? 'failed',
        input: withDefaults(action.input as Record<string, Record<string, unknown>>),
        output: withDefaults(action.output as Record<string, Record<string, unknown>>),
        aggregate: action.aggregate ?? [],
      }))
      .sort((a, b) => String(a.action).localeCompare(String(b.action))),
  };
}

const files = (): string[] => [
  ...fs.readdirSync(DEBIAN_AGENT_DDL_DIRECTORY).filter((f) => f.endsWith('.ddl')).map((f) => path.join(DEBIAN_AGENT_DDL_DIRECTORY, f)),
  path.join(FLEET_AGENT_DIRECTORY, 'rexcheck.ddl'),
  path.join(FLEET_AGENT_DIRECTORY, 'puppet.ddl'),
  // Loops with interpolation, as the Puppet Labs service and package agents declare their actions.
  path.resolve(__dirname, '../../fixtures/ruby-ddl/gates.ddl'),
];

describe(parseRubyDdl.name, () => {
  beforeAll(() => {
    requireMcollectivePackages();
  });

  it('reads every agent DDL the Debian package installs when loading its agent folder', () => {
    const loaded = loadDdlDirectory(DEBIAN_AGENT_DDL_DIRECTORY);
    expect(loaded.problems).toEqual([]);
    expect(loaded.agents.map((a) => a.metadata.name)).toContain('rpcutil');
  });

  it.each(files())('describes %s exactly as MCollective::DDL does', (file) => {
    const ours = parseRubyDdl(fs.readFileSync(file, 'utf8'));
    expect(normalise(ours)).toEqual(normalise(rubyView(file)));
    // And the registry accepts it as it accepts a JSON DDL.
    expect(() => parseAgentDdl(ours, 'ddl_directory')).not.toThrow();
  });

  it('keeps the validation regex, maxlength and type of rpcutil#get_fact when converting to the registry shape', () => {
    const spec = parseAgentDdl(parseRubyDdl(fs.readFileSync(path.join(DEBIAN_AGENT_DDL_DIRECTORY, 'rpcutil.ddl'), 'utf8')), 'ddl_directory');
    const input = spec.actions.get('get_fact')!.inputs.get('fact')!;
    expect(input).toMatchObject({ type: 'string', optional: false, validation: '^[\\w\\-\\.]+$', maxlength: 40 });
    expect(spec.actions.get('get_fact')!.aggregates).toEqual([{ function: 'summary', output: 'value', options: [] }]);
    expect(spec.metadata.timeout).toBe(10);
  });
});
