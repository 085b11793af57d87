/**
 * Requests as our encoder writes them, read by MCollective 2.12 itself: Message#decode! with the
 * psk security plugin (hash check, Marshal load, callerid) and Message#validate (ttl, msgtime,
 * then the filter), as mcollectived runs them on every request, in a `ruby` subprocess.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { encodeRequest, encodeRpcBody, newRequestId, toWireFilter } from '@proxy/broker/mcollective/protocol';
import { requireMcollectivePackages } from '@test/fleet/mcollective/mcollective-fleet';

const DECODE = `
require "json"
require "mcollective"
MCollective::Config.instance.loadconfig(ARGV[0])
msg = MCollective::Message.new([ARGV[1]].pack("H*"), nil, :type => :request)
begin
  msg.decode!
rescue Exception => e
  puts JSON.generate({ "ok" => false, "error" => e.class.name })
  exit
end
validated = begin
  msg.validate
  "ok"
rescue Exception => e
  e.class.name
end
p = msg.payload
puts JSON.generate({ "ok" => true, "validate" => validated, "agent" => p[:agent], "callerid" => p[:callerid], "ttl" => p[:ttl], "filter" => p[:filter],
                     "body" => p[:body], "data_classes" => p[:body][:data].transform_values { |v| v.class.name } })
`;

function rubyDecodes(payload: Uint8Array, psk: string): Record<string, unknown> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rex-mco-proto-'));
  const config = path.join(dir, 'server.cfg');
  fs.writeFileSync(config, `identity = node-1\nsecurityprovider = psk\nplugin.psk = ${psk}\nconnector = rabbitmq\nlogger_type = console\nloglevel = fatal\nlibdir = ${dir}\n`);
  try {
    return JSON.parse(execFileSync('ruby', ['-e', DECODE, config, Buffer.from(payload).toString('hex')], { encoding: 'utf8' })) as Record<string, unknown>;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const RICH_FILTER = toWireFilter({ fact: [{ fact: 'hostgroup', operator: '==', value: 'web' }], agent: ['rexcheck'], compound: 'a=1 or not b=2' });

function aRequest(psk: string, msgtime = Math.floor(Date.now() / 1000), filter = toWireFilter({})): Uint8Array {
  return encodeRequest({
    body: encodeRpcBody({ agent: 'rexcheck', action: 'multiply', caller: 'uid=rex', data: { value: 3, factor: 2 }, inputTypes: { value: 'integer', factor: 'float' } }),
    senderid: 'rex-proxy',
    requestid: newRequestId(),
    filter,
    collective: 'mcollective',
    agent: 'rexcheck',
    callerid: 'uid=rex',
    ttl: 60,
    msgtime,
    psk,
  });
}

describe('MCollective reading our requests', () => {
  beforeAll(() => requireMcollectivePackages());

  it('accepts the psk hash, callerid and ttl and reads agent and typed data when the psk matches', () => {
    const decoded = rubyDecodes(aRequest('shared'), 'shared');
    expect(decoded).toMatchObject({ ok: true, validate: 'ok', agent: 'rexcheck', callerid: 'uid=rex', ttl: 60 });
    expect(decoded.body).toEqual({ agent: 'rexcheck', action: 'multiply', caller: 'uid=rex', data: { value: 3, factor: 2.0, process_results: true } });
    expect(decoded.data_classes).toEqual({ value: 'Integer', factor: 'Float', process_results: 'TrueClass' });
  });

  it('reads fact, agent and compound filters in the structure Matcher evaluates', () => {
    // Only decoding is checked: this bare Ruby process has no facts or agents to match against.
    const decoded = rubyDecodes(aRequest('shared', Math.floor(Date.now() / 1000), RICH_FILTER), 'shared');
    expect(decoded.filter).toEqual({
      fact: [{ fact: 'hostgroup', value: 'web', operator: '==' }],
      cf_class: [],
      agent: ['rexcheck'],
      identity: [],
      compound: [[{ statement: 'a=1' }, { or: 'or' }, { not: 'not' }, { statement: 'b=2' }]],
    });
  });

  it('refuses the request as a security failure when the psk differs', () => {
    expect(rubyDecodes(aRequest('ours'), 'theirs')).toEqual({ ok: false, error: 'MCollective::SecurityValidationFailed' });
  });

  it('refuses the request as expired when it is older than its ttl', () => {
    expect(rubyDecodes(aRequest('shared', Math.floor(Date.now() / 1000) - 120), 'shared')).toMatchObject({ ok: true, validate: 'MCollective::MsgTTLExpired' });
  });
});
