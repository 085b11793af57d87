import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';

import { CONFIG_KEYS as PROXY_KEYS, ConfigError as ProxyConfigError, loadConfig as loadProxyConfig } from '@proxy/config';
import { CONFIG_KEYS as UI_KEYS, ConfigError as UiConfigError, loadConfig as loadUiConfig } from '@server/config';
import { problemsOf } from '@test/support/config-problems';
import { CONFIG_FILE_MAX_BYTES, ConfigError, commaList, fileProblems, port, readConfig, type KeySpec } from '@shared/config/config-loader';

function tempFile(name: string, content: string | Buffer): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'shared-config-')), name);
  fs.writeFileSync(file, content);
  return file;
}

const KEYS: readonly KeySpec[] = [
  { path: 'http.port', env: 'T_PORT', schema: port.default(3000), description: 'port' },
  { path: 'names', env: 'T_NAMES', schema: commaList(z.array(z.string())).default([]), description: 'names' },
  { path: 'token', env: 'T_TOKEN', schema: z.string().min(8, 'must be at least 8 characters').optional(), description: 'token', secret: true },
  { path: 'tls.cert_file', env: 'T_CERT_FILE', schema: z.string().optional(), description: 'cert' },
];
const SCHEMA = { component: 'test', fileEnv: 'T_CONFIG_FILE', keys: KEYS };

describe(readConfig.name, () => {
  it('takes the default, then the file, then the env var, then an override', () => {
    const file = tempFile('c.yaml', 'http:\n  port: 4000\n');
    expect(readConfig(SCHEMA, { env: {} }).values).toEqual({ http: { port: 3000 }, names: [] });
    expect(readConfig(SCHEMA, { env: { T_CONFIG_FILE: file } }).values).toMatchObject({ http: { port: 4000 } });
    expect(readConfig(SCHEMA, { env: { T_CONFIG_FILE: file, T_PORT: '4100' } }).values).toMatchObject({ http: { port: 4100 } });
    expect(readConfig(SCHEMA, { env: { T_CONFIG_FILE: file, T_PORT: '4100' }, overrides: { 'http.port': 0 } }).values).toMatchObject({ http: { port: 0 } });
  });

  it('reads a list from a comma-separated env var and from a YAML sequence alike', () => {
    const file = tempFile('c.yaml', 'names: [a, b]\n');
    expect(readConfig(SCHEMA, { env: { T_NAMES: ' a, b ,' } }).values.names).toEqual(['a', 'b']);
    expect(readConfig(SCHEMA, { env: { T_CONFIG_FILE: file } }).values.names).toEqual(['a', 'b']);
  });

  it('names the key, where the value came from and its env var when a value is bad', () => {
    const file = tempFile('c.yaml', 'http:\n  port: 70000\n');
    expect(readConfig(SCHEMA, { env: { T_PORT: 'abc' } }).problems).toEqual(['http.port (from T_PORT): must be a port number (got "abc")']);
    expect(readConfig(SCHEMA, { env: { T_CONFIG_FILE: file } }).problems).toEqual(['http.port (from config file, env T_PORT): must be 0..65535 (got 70000)']);
  });

  it('shows [secret] instead of a bad secret value', () => {
    const problems = readConfig(SCHEMA, { env: { T_TOKEN: 'short' } }).problems;
    expect(problems).toEqual(['token (from T_TOKEN): must be at least 8 characters (got [secret])']);
  });

  it('lists an unknown file key with the valid ones', () => {
    const file = tempFile('c.yaml', 'http:\n  prot: 1\n');
    expect(readConfig(SCHEMA, { env: { T_CONFIG_FILE: file } }).problems).toEqual([`http.prot (in ${file}): unknown key; valid keys are http.port, names, token, tls.cert_file`]);
  });

  it('names the file env var when the file is not YAML or cannot be read', () => {
    const bad = tempFile('bad.yaml', 'a: [\n');
    expect(readConfig(SCHEMA, { env: { T_CONFIG_FILE: bad } }).problems[0]).toMatch(/^T_CONFIG_FILE \(.*bad\.yaml\): cannot be read as YAML/);
    expect(readConfig(SCHEMA, { env: { T_CONFIG_FILE: '/no/such/file.yaml' } }).problems[0]).toMatch(/^T_CONFIG_FILE \(\/no\/such\/file\.yaml\): cannot be read as YAML: ENOENT/);
  });

  it('refuses a file larger than the bound without parsing it', () => {
    const big = tempFile('big.yaml', Buffer.alloc(CONFIG_FILE_MAX_BYTES + 1, 'a'));
    const { problems, values } = readConfig(SCHEMA, { env: { T_CONFIG_FILE: big } });
    expect(problems).toEqual([`T_CONFIG_FILE (${big}): is ${CONFIG_FILE_MAX_BYTES + 1} bytes, more than the ${CONFIG_FILE_MAX_BYTES} a config file may have; is it the right file?`]);
    expect(values).toEqual({ http: { port: 3000 }, names: [] });
  });
});

describe(fileProblems.name, () => {
  it('names the key and its env var for a missing required file and for a file that does not exist', () => {
    expect(fileProblems({}, KEYS, ['tls.cert_file'], 'required for TLS')).toEqual(['tls.cert_file (env T_CERT_FILE): required for TLS']);
    expect(fileProblems({ tls: { cert_file: '/no/cert.pem' } }, KEYS, ['tls.cert_file'])).toEqual(['tls.cert_file (env T_CERT_FILE): file /no/cert.pem does not exist']);
  });

  it('accepts an unset optional file and an existing one', () => {
    expect(fileProblems({}, KEYS, ['tls.cert_file'])).toEqual([]);
    expect(fileProblems({ tls: { cert_file: tempFile('cert.pem', 'x') } }, KEYS, ['tls.cert_file'], 'required')).toEqual([]);
  });
});

// Both packages load through the helper: their errors name the package, the key and its env var.
describe.each([
  { component: 'proxy-plugin', keys: PROXY_KEYS, load: loadProxyConfig, portKey: 'grpc.port', fileEnv: 'PROXY_PLUGIN_CONFIG_FILE', fileKey: 'tasks.ca_file', withFile: { PROXY_PLUGIN_TRANSPORT: 'demo', PROXY_PLUGIN_TASKS_PUPPET_SERVER_URL: 'https://puppet:8140' } },
  { component: 'ui-extension', keys: UI_KEYS, load: loadUiConfig, portKey: 'http.port', fileEnv: 'UI_EXTENSION_CONFIG_FILE', fileKey: 'puppetdb.ca_file', withFile: { UI_EXTENSION_PUPPETDB_URL: 'https://puppetdb:8081' } },
])('$component config through the shared loader', ({ component, keys, load, portKey, fileEnv, fileKey, withFile }) => {
  const envOf = (key: string) => keys.find((k) => k.path === key)!.env;

  it('throws the one shared ConfigError, headed with the package name', () => {
    expect(ProxyConfigError).toBe(ConfigError);
    expect(UiConfigError).toBe(ConfigError);
    expect(() => load({ env: { [envOf(portKey)]: 'abc' } })).toThrow(new RegExp(`^invalid ${component} configuration:\\n`));
  });

  it('names the key and the env var it came from when a value is bad', () => {
    expect(problemsOf(() => load({ env: { [envOf(portKey)]: 'abc' } }))).toContain(`${portKey} (from ${envOf(portKey)}): must be a port number (got "abc")`);
  });

  it('names the key and its env var when a value from the file is bad', () => {
    const file = tempFile('c.yaml', `${portKey.split('.')[0]}:\n  ${portKey.split('.')[1]}: 70000\n`);
    expect(problemsOf(() => load({ env: { [fileEnv]: file } }))).toContain(`${portKey} (from config file, env ${envOf(portKey)}): must be 0..65535 (got 70000)`);
  });

  it('names a required certificate file by its key and env var', () => {
    expect(problemsOf(() => load({ env: withFile }))).toContainEqual(expect.stringMatching(new RegExp(`^${fileKey.replace('.', '\\.')} \\(env ${envOf(fileKey)}\\): required`)));
  });

  it('refuses an oversized config file naming its env var', () => {
    const big = tempFile('big.yaml', Buffer.alloc(CONFIG_FILE_MAX_BYTES + 1, '#'));
    expect(problemsOf(() => load({ env: { [fileEnv]: big } }))[0]).toMatch(new RegExp(`^${fileEnv} \\(.*\\): is \\d+ bytes, more than`));
  });
});
