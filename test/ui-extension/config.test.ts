import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { CONFIG_KEYS, ConfigError, loadConfig } from '@server/config';
import { leafPaths } from '@shared/config/config-loader';

const EXAMPLE = path.resolve(__dirname, '..', '..', 'ui-extension', 'config.example.yaml');

describe(loadConfig.name, () => {
  it('returns the defaults when nothing is configured', () => {
    const config = loadConfig({ env: {} });
    expect(config.http.port).toBe(3000);
    expect(config.database.type).toBe('sqlite');
    expect(Object.isFrozen(config.http)).toBe(true);
  });

  it('lets env vars win over the file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rex-config-'));
    const file = path.join(dir, 'c.yaml');
    fs.writeFileSync(file, 'http:\n  port: 4000\nlog:\n  level: debug\n');
    const config = loadConfig({ env: { UI_EXTENSION_CONFIG_FILE: file, UI_EXTENSION_PORT: '4100' } });
    expect(config.http.port).toBe(4100);
    expect(config.log.level).toBe('debug');
  });

  it('refuses half of the proxy mTLS settings, naming the missing keys', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'rex-config-')), 'client.pem');
    fs.writeFileSync(file, 'x');
    expect(() => loadConfig({ env: { UI_EXTENSION_PROXY_TLS_CERT_FILE: file } })).toThrow(/proxies\.tls\.ca_file, proxies\.tls\.key_file \(env UI_EXTENSION_PROXY_TLS_CA_FILE, UI_EXTENSION_PROXY_TLS_KEY_FILE\): mTLS to proxies needs/);
    const config = loadConfig({ env: { UI_EXTENSION_PROXY_TLS_CERT_FILE: file, UI_EXTENSION_PROXY_TLS_KEY_FILE: file, UI_EXTENSION_PROXY_TLS_CA_FILE: file } });
    expect(config.proxies).toMatchObject({ plaintext: false, tls: { cert_file: file, key_file: file, ca_file: file } });
  });

  it('keeps plain text to proxies off and the login limits at 10 per user, 30 per address and a minute by default', () => {
    const config = loadConfig({ env: {} });
    expect(config.proxies.plaintext).toBe(false);
    expect(config.proxies.tls).toEqual({});
    expect(config.auth).toEqual({ max_failed_logins_per_user: 10, max_failed_logins_per_address: 30, failed_login_window_s: 60 });
  });

  it('refuses plain text to proxies without a caller secret, naming the key and its env var', () => {
    expect(() => loadConfig({ env: { UI_EXTENSION_PROXY_PLAINTEXT: 'true' } })).toThrow(/proxies\.caller_secret \(env UI_EXTENSION_PROXY_CALLER_SECRET\): required with proxies\.plaintext/);
    const secret = 'a-caller-secret-of-at-least-32-characters';
    expect(loadConfig({ env: { UI_EXTENSION_PROXY_PLAINTEXT: 'true', UI_EXTENSION_PROXY_CALLER_SECRET: secret } }).proxies).toMatchObject({ plaintext: true, caller_secret: secret });
  });

  it('refuses a short caller secret without printing it', () => {
    let message = '';
    try {
      loadConfig({ env: { UI_EXTENSION_PROXY_CALLER_SECRET: 'short-s3cret' } });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/proxies\.caller_secret \(from UI_EXTENSION_PROXY_CALLER_SECRET\): must be at least 32 characters.*\[secret\]/);
    expect(message).not.toContain('short-s3cret');
  });

  it('caps a job at 50000 hosts by default, set by UI_EXTENSION_JOBS_MAX_HOSTS_PER_JOB and refused when not positive', () => {
    expect(loadConfig({ env: {} }).jobs.max_hosts_per_job).toBe(50000);
    expect(loadConfig({ env: { UI_EXTENSION_JOBS_MAX_HOSTS_PER_JOB: '2000' } }).jobs.max_hosts_per_job).toBe(2000);
    expect(() => loadConfig({ env: { UI_EXTENSION_JOBS_MAX_HOSTS_PER_JOB: '0' } })).toThrow(/jobs\.max_hosts_per_job \(from UI_EXTENSION_JOBS_MAX_HOSTS_PER_JOB\)/);
  });

  it('names the key and the env var when a port is not a number', () => {
    expect(() => loadConfig({ env: { UI_EXTENSION_PORT: 'abc' } })).toThrow(/http\.port \(from UI_EXTENSION_PORT\)/);
  });

  it('lists every bad key in one error', () => {
    let caught: unknown;
    try {
      loadConfig({ env: { UI_EXTENSION_PORT: 'abc', UI_EXTENSION_LOG_LEVEL: 'loud', UI_EXTENSION_DATABASE_TYPE: 'mysql' } });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const problems = (caught as ConfigError).problems.join('\n');
    expect(problems).toMatch(/http\.port/);
    expect(problems).toMatch(/log\.level/);
    expect(problems).toMatch(/database\.url.*required when database\.type is mysql/);
  });

  it('requires the Puppet CA, a client certificate and its key when PuppetDB is reached over https', () => {
    let caught: unknown;
    try {
      loadConfig({ env: { UI_EXTENSION_PUPPETDB_URL: 'https://puppetdb:8081' } });
    } catch (error) {
      caught = error;
    }
    expect((caught as ConfigError).problems.map((p) => p.split(' ')[0])).toEqual(['puppetdb.ca_file', 'puppetdb.cert_file', 'puppetdb.key_file']);
  });

  it('accepts a plain http PuppetDB on loopback without certificates', () => {
    expect(loadConfig({ env: { UI_EXTENSION_PUPPETDB_URL: 'http://127.0.0.1:8080' } }).puppetdb.url).toBe('http://127.0.0.1:8080');
  });

  it('refuses a user name or password in puppetdb.url, naming the certificate settings, and does not repeat the password', () => {
    const error = (() => {
      try {
        loadConfig({ env: { UI_EXTENSION_PUPPETDB_URL: 'http://u:s3cret@127.0.0.1:8080' } });
      } catch (e) {
        return e as ConfigError;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect(error?.problems).toEqual(['puppetdb.url (from UI_EXTENSION_PUPPETDB_URL): must not hold a user name or password (user:pass@): PuppetDB authenticates this ui-extension by its client certificate (puppetdb.cert_file, puppetdb.key_file), not by a password (got "http://[redacted]@127.0.0.1:8080")']);
    expect(error?.message).not.toContain('s3cret');
  });

  it('refuses a user name or password in foreman.url, naming foreman.login and foreman.token', () => {
    const env = { UI_EXTENSION_FOREMAN_LOGIN: 'rex', UI_EXTENSION_FOREMAN_TOKEN: 'pat' };
    for (const url of ['https://rex:s3cret@foreman.example.com', 'https://rex@foreman.example.com/']) {
      expect(() => loadConfig({ env: { ...env, UI_EXTENSION_FOREMAN_URL: url } })).toThrow(/foreman\.url \(from UI_EXTENSION_FOREMAN_URL\): must not hold a user name or password \(user:pass@\): the login goes in foreman\.login and the token in foreman\.token/);
    }
    expect(() => loadConfig({ env: { ...env, UI_EXTENSION_FOREMAN_URL: 'https://rex:s3cret@foreman.example.com/api' } })).toThrow(/^(?![\s\S]*s3cret)/);
  });

  it('requires the Foreman login and token when foreman.url is set, naming their env vars', () => {
    expect(() => loadConfig({ env: { UI_EXTENSION_FOREMAN_URL: 'https://foreman.example.com' } })).toThrow(/foreman\.login \(env UI_EXTENSION_FOREMAN_LOGIN\): required when foreman\.url is set[\s\S]*foreman\.token \(env UI_EXTENSION_FOREMAN_TOKEN\)/);
    const config = loadConfig({ env: { UI_EXTENSION_FOREMAN_URL: 'https://foreman.example.com', UI_EXTENSION_FOREMAN_LOGIN: 'rex', UI_EXTENSION_FOREMAN_TOKEN: 'pat', UI_EXTENSION_FOREMAN_SYNC_INTERVAL_S: '3600' } });
    expect(config.foreman).toMatchObject({ url: 'https://foreman.example.com', login: 'rex', sync_interval_s: 3600, per_page: 250 });
  });

  it('refuses unknown keys in the file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rex-config-'));
    const file = path.join(dir, 'c.yaml');
    fs.writeFileSync(file, 'http:\n  prot: 4000\n');
    expect(() => loadConfig({ env: { UI_EXTENSION_CONFIG_FILE: file } })).toThrow(/http\.prot .*unknown key/);
  });

  it('is documented key for key by config.example.yaml, which parses', () => {
    const example = YAML.parse(fs.readFileSync(EXAMPLE, 'utf8')) as unknown;
    expect(leafPaths(example).sort()).toEqual(CONFIG_KEYS.map((k) => k.path).sort());
    expect(() => loadConfig({ env: { UI_EXTENSION_CONFIG_FILE: EXAMPLE } })).not.toThrow();
  });
});
