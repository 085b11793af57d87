import fs from 'node:fs';
import path from 'node:path';

import { parseAgentDdl } from '@proxy/actions/ddl-registry';
import { parseRubyDdl, RubyDdlError } from '@proxy/actions/ruby-ddl';

const METADATA = `metadata :name => "demo", :description => "Demo", :author => "a", :license => "MIT",
         :version => "1", :url => "https://x", :timeout => 5
`;

describe(parseRubyDdl.name, () => {
  it('reads the rexcheck test agent into the JSON DDL shape the registry takes', () => {
    const ddl = parseRubyDdl(fs.readFileSync(path.resolve(__dirname, '../../fleet/mcollective/plugins/mcollective/agent/rexcheck.ddl'), 'utf8'));
    const spec = parseAgentDdl(ddl, 'ddl_directory');
    expect([...spec.actions.keys()]).toEqual(['echo', 'multiply', 'uptime', 'reject', 'delay', 'types', 'typed']);
    const echo = spec.actions.get('echo')!;
    expect(echo.display).toBe('always');
    expect(echo.inputs.get('message')).toMatchObject({ type: 'string', optional: false, validation: '^[\\w .,:@+-]*$', maxlength: 200 });
    expect(echo.inputs.get('shout')).toMatchObject({ type: 'boolean', optional: true, default: false });
    expect(echo.outputs.find((o) => o.name === 'length')).toMatchObject({ displayAs: 'Length', default: 0 });
    expect(echo.aggregates).toEqual([
      { function: 'summary', output: 'message', options: [] },
      { function: 'sum', output: 'length', options: [{ format: '%d characters' }] },
    ]);
    expect(spec.actions.get('reject')!.inputs.get('reason')).toMatchObject({ type: 'list', list: ['aborted', 'invalid'] });
  });

  it('accepts Ruby 1.9 labels, regex literals, symbols as validators, parentheses and comments', () => {
    const ddl = parseRubyDdl(`${METADATA}
# a comment
action("run", description: "Run it") {
  display(:ok)
  input :cmd, prompt: "Command", description: "What", type: :string, validation: /\\A[a-z]+\\z/, optional: false, maxlength: 10 # trailing
  input :host, :prompt => 'Host', :description => 'It\\'s a host', :type => :string, :validation => :shellsafe, :optional => true, :maxlength => 0
  output :out, :description => "Out", :display_as => "Output"
  summarize { aggregate average(:out, :format => "%.1f") }
}
`);
    expect(ddl.actions).toEqual([
      {
        action: 'run',
        description: 'Run it',
        display: 'ok',
        input: {
          cmd: { prompt: 'Command', description: 'What', type: 'string', validation: '\\A[a-z]+\\z', optional: false, maxlength: 10 },
          host: { prompt: 'Host', description: "It's a host", type: 'string', validation: 'shellsafe', optional: true, maxlength: 0 },
        },
        output: { out: { description: 'Out', display_as: 'Output' } },
        aggregate: [{ function: 'average', args: ['out', { format: '%.1f' }] }],
      },
    ]);
  });

  it('unrolls a loop over actions with the loop variable interpolated and transformed', () => {
    const ddl = parseRubyDdl(`${METADATA}
%w[open close].each do |verb|
  action verb, :description => "#{verb.capitalize} the #{:gate} (#{verb.sub(/e$/, 'ing').upcase})" do
    input :gate, :prompt => "Gate", :description => "Gate to #{verb}", :type => :string, :optional => false, :validation => '^\\w+$', :maxlength => 20
    output :state, :description => "State after #{verb.gsub(/o/, '0')}", :display_as => "State"
  end
end
`);
    expect(ddl.actions.map((a) => [a.action, a.description])).toEqual([
      ['open', 'Open the gate (OPEN)'],
      ['close', 'Close the gate (CLOSING)'],
    ]);
    expect((ddl.actions[1].input as Record<string, { description: string }>).gate.description).toBe('Gate to close');
    expect((ddl.actions[0].output as Record<string, { description: string }>).state.description).toBe('State after 0pen');
  });

  it.each([
    ['a loop with another method than each', `${METADATA}["a", "b"].map do |act|\n  action act, :description => "x" do\n  end\nend\n`, /line 3: only \[\.\.\.\]\.each loops/],
    ['a variable no loop defines', `${METADATA}action "a", :description => "#{name}" do\nend\n`, /line 3: unsupported expression name/],
    ['a method other than the String ones', `${METADATA}%w[a].each do |act|\n  action act.reverse, :description => "x" do\n  end\nend\n`, /line 4: unsupported method \.reverse/],
    ['a data plugin DDL', `${METADATA}dataquery :description => "x" do\nend\n`, /line 3: dataquery belongs to a dataquery DDL/],
    ['an unknown call inside an action', `${METADATA}action "a", :description => "x" do\n  validate :x\nend\n`, /line 4: unsupported call validate/],
    ['a missing end', `${METADATA}action "a", :description => "x" do\n  display :ok\n`, /missing end/],
    ['no metadata', 'action "a", :description => "x" do\nend\n', /no metadata/],
  ])('refuses %s naming the line', (_name, source, message) => {
    expect(() => parseRubyDdl(source)).toThrow(RubyDdlError);
    expect(() => parseRubyDdl(source)).toThrow(message);
  });
});
