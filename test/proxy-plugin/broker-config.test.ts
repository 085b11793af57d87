/**
 * Broker lists in the proxy configuration (#26 item 5): a NATS cluster's servers and an MCollective
 * broker pool, from the YAML file and from env vars. A value that cannot be used stops the start
 * with the key and the reason; a list is never used in part.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { ConfigError, loadConfig } from '@proxy/config';
import { TEST_PROXY_SECRET } from '@test/support/proxy-secret';

const BASE = { PROXY_PLUGIN_GRPC_PLAINTEXT: 'true', PROXY_PLUGIN_GRPC_CALLER_SECRET: TEST_PROXY_SECRET };
const CHORIA = { ...BASE, PROXY_PLUGIN_TRANSPORT: 'choria', PROXY_PLUGIN_SECURITY_MODE: 'insecure' };
const MCO = { ...BASE, PROXY_PLUGIN_TRANSPORT: 'mcollective', PROXY_PLUGIN_MCOLLECTIVE_PSK: 'secret', PROXY_PLUGIN_MCOLLECTIVE_DDL_DIRECTORIES: os.tmpdir() };

function yamlFile(content: string): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'proxy-broker-config-')), 'c.yaml');
  fs.writeFileSync(file, content);
  return file;
}

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig({ env });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('NATS servers (nats.url)', () => {
  it('keeps a single URL working, as a list of one', () => {
    expect(loadConfig({ env: { ...CHORIA, PROXY_PLUGIN_NATS_URL: 'nats://broker.example.net:4222' } }).nats.url).toEqual(['nats://broker.example.net:4222']);
    expect(loadConfig({ env: CHORIA }).nats.url).toEqual(['nats://127.0.0.1:4222']);
  });

  it('takes every server of a comma-separated env var, not only the last', () => {
    const config = loadConfig({ env: { ...CHORIA, PROXY_PLUGIN_NATS_URL: 'nats://n1:4222, nats://n2:4222,tls://n3:4222' } });
    expect(config.nats.url).toEqual(['nats://n1:4222', 'nats://n2:4222', 'tls://n3:4222']);
  });

  it('takes a YAML list', () => {
    const file = yamlFile('nats:\n  url:\n    - nats://n1:4222\n    - nats://user:pw@n2:4222\n');
    expect(loadConfig({ env: { ...CHORIA, PROXY_PLUGIN_CONFIG_FILE: file } }).nats.url).toEqual(['nats://n1:4222', 'nats://user:pw@n2:4222']);
  });

  it.each([
    ['nats://n1:4222,http://n2:4222', 'server 2 of 2 must be a URL such as nats://127.0.0.1:4222'],
    ['nats://n1:4222,,nats://n3:4222', 'server 2 of 3 is empty (a stray comma?)'],
    ['nats://n1:4222 nats://n2:4222', 'the server must be a URL such as nats://127.0.0.1:4222'],
    ['nats://n1:4222,nats://n1:4222', 'nats://n1:4222 is listed twice'],
  ])('refuses %j, naming the key and the entry', (value, reason) => {
    const problems = problemsOf({ ...CHORIA, PROXY_PLUGIN_NATS_URL: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^nats\.url \(from PROXY_PLUGIN_NATS_URL\): /);
    expect(problems[0]).toContain(reason);
    // The URLs may carry credentials: the value itself is never echoed.
    expect(problems[0]).toContain('(got [secret])');
  });

  it('refuses an empty YAML list and a list holding a non-string', () => {
    expect(problemsOf({ ...CHORIA, PROXY_PLUGIN_CONFIG_FILE: yamlFile('nats:\n  url: []\n') })[0]).toContain('must name at least one server');
    expect(problemsOf({ ...CHORIA, PROXY_PLUGIN_CONFIG_FILE: yamlFile('nats:\n  url:\n    - nats://n1:4222\n    - 4222\n') })[0]).toContain('each server must be a URL');
  });
});

describe('MCollective broker pool (mcollective.pool)', () => {
  it('keeps the single broker working with an empty pool', () => {
    const config = loadConfig({ env: { ...MCO, PROXY_PLUGIN_MCOLLECTIVE_HOST: 'mq.example.net', PROXY_PLUGIN_MCOLLECTIVE_PORT: '61614' } });
    expect(config.mcollective).toMatchObject({ host: 'mq.example.net', port: 61614, pool: [] });
  });

  it('takes a pool in order, from the env var and from YAML', () => {
    expect(loadConfig({ env: { ...MCO, PROXY_PLUGIN_MCOLLECTIVE_POOL: 'mq1:61613, mq2.example.net:61614,[::1]:61615' } }).mcollective.pool).toEqual(['mq1:61613', 'mq2.example.net:61614', '[::1]:61615']);
    const file = yamlFile('mcollective:\n  pool:\n    - mq2:61613\n    - mq1:61613\n');
    expect(loadConfig({ env: { ...MCO, PROXY_PLUGIN_CONFIG_FILE: file } }).mcollective.pool).toEqual(['mq2:61613', 'mq1:61613']);
  });

  it.each([
    ['mq1:61613,mq2', 'broker 2 of 2 ("mq2") must be host:port'],
    ['mq1:61613,mq2:70000', 'broker 2 of 2 ("mq2:70000") must be host:port'],
    ['stomp://mq1:61613', 'broker 1 of 1 ("stomp://mq1:61613") must be host:port'],
    ['mq1:61613,,mq2:61613', 'broker 2 of 3 ("") must be host:port'],
    ['mq1:61613,mq1:61613', 'broker mq1:61613 is listed twice'],
  ])('refuses the pool %j, naming the entry', (value, reason) => {
    const problems = problemsOf({ ...MCO, PROXY_PLUGIN_MCOLLECTIVE_POOL: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^mcollective\.pool \(from PROXY_PLUGIN_MCOLLECTIVE_POOL\): /);
    expect(problems[0]).toContain(reason);
  });

  it('refuses a comma list in mcollective.host, pointing at the pool', () => {
    const problems = problemsOf({ ...MCO, PROXY_PLUGIN_MCOLLECTIVE_HOST: 'mq1,mq2' });
    expect(problems).toEqual([expect.stringMatching(/^mcollective\.host \(from PROXY_PLUGIN_MCOLLECTIVE_HOST\): must be one host; list several brokers in mcollective\.pool/)]);
    expect(problemsOf({ ...MCO, PROXY_PLUGIN_MCOLLECTIVE_HOST: 'mq1:61613' })[0]).toContain('without a port or scheme');
  });

  it('refuses a pool beside an explicit host or port: one of them would be ignored', () => {
    const problems = problemsOf({ ...MCO, PROXY_PLUGIN_MCOLLECTIVE_POOL: 'mq1:61613,mq2:61613', PROXY_PLUGIN_MCOLLECTIVE_HOST: 'mq1', PROXY_PLUGIN_MCOLLECTIVE_PORT: '61613' });
    expect(problems).toEqual([
      expect.stringMatching(/^mcollective\.pool \/ mcollective\.host .*choose one/),
      expect.stringMatching(/^mcollective\.pool \/ mcollective\.port .*choose one/),
    ]);
  });

  it('accepts the example file, whose empty pool sits beside host and port', () => {
    const example = path.resolve(__dirname, '../../proxy-plugin/config.example.yaml');
    let problems: string[] = [];
    try {
      loadConfig({ env: { ...MCO, PROXY_PLUGIN_CONFIG_FILE: example } });
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems = error.problems;
    }
    expect(problems.filter((p) => p.startsWith('mcollective.') || p.startsWith('nats.'))).toEqual([]);
  });
});
