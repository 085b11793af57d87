import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';

import { CONFIG_KEYS, loadConfig } from '@proxy/config';
import { leafPaths } from '@shared/config/config-loader';
import { problemsOf } from '@test/support/config-problems';
import { TEST_PROXY_SECRET } from '@test/support/proxy-secret';

const EXAMPLE = path.resolve(__dirname, '../../proxy-plugin/config.example.yaml');

function tempFile(name: string, content: string): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'proxy-config-')), name);
  fs.writeFileSync(file, content);
  return file;
}

describe(loadConfig.name, () => {
  it('uses the defaults when nothing is configured and the transport needs no certificates', () => {
    const config = loadConfig({ env: { PROXY_PLUGIN_TRANSPORT: 'demo', PROXY_PLUGIN_GRPC_PLAINTEXT: 'true', PROXY_PLUGIN_GRPC_CALLER_SECRET: TEST_PROXY_SECRET } });
    expect(config).toMatchObject({
      name: 'rex-proxy',
      grpc: { host: '127.0.0.1', port: 50051, plaintext: true, caller_secret: TEST_PROXY_SECRET, tls: { trusted_clients: [] } },
      transport: 'demo',
      collectives: ['mcollective'],
      main_collective: 'mcollective',
      security: { mode: 'x509' },
      discovery: { timeout_ms: 2000 },
      audit: { file: '' },
      demo: { node_count: 30, name_prefix: 'demo-node' },
    });
    expect(fs.existsSync(path.join(config.ddl.directory, 'rpcutil.json'))).toBe(true);
    expect(Object.isFrozen(config.grpc)).toBe(true);
  });

  it('lets env vars win over the file and the file over the defaults', () => {
    const file = tempFile('c.yaml', 'name: from-file\ntransport: demo\ngrpc:\n  port: 6000\ndemo:\n  node_count: 5\n');
    const config = loadConfig({ env: { PROXY_PLUGIN_CONFIG_FILE: file, PROXY_PLUGIN_GRPC_PORT: '0', PROXY_PLUGIN_COLLECTIVES: 'mcollective, dev', PROXY_PLUGIN_GRPC_PLAINTEXT: 'true', PROXY_PLUGIN_GRPC_CALLER_SECRET: TEST_PROXY_SECRET } });
    expect(config.name).toBe('from-file');
    expect(config.grpc.port).toBe(0);
    expect(config.demo.node_count).toBe(5);
    expect(config.collectives).toEqual(['mcollective', 'dev']);
  });

  it('lists every bad key in one error when several are wrong', () => {
    const file = tempFile('bad.yaml', 'grpc:\n  port: 70000\nnats:\n  urll: x\n');
    const problems = problemsOf(() =>
      loadConfig({ env: { PROXY_PLUGIN_CONFIG_FILE: file, PROXY_PLUGIN_TRANSPORT: 'stomp', PROXY_PLUGIN_DISCOVERY_TIMEOUT_MS: 'soon', PROXY_PLUGIN_MAIN_COLLECTIVE: 'other' } }),
    );
    const text = problems.join('\n');
    expect(text).toContain('grpc.port');
    expect(text).toContain('nats.urll');
    expect(text).toContain('transport');
    expect(text).toContain('discovery.timeout_ms');
    expect(text).toContain('main_collective');
  });

  it('requires cert, key and CA paths when x509 talks to a real broker', () => {
    const problems = problemsOf(() => loadConfig({ env: { PROXY_PLUGIN_TRANSPORT: 'choria', PROXY_PLUGIN_GRPC_PLAINTEXT: 'true', PROXY_PLUGIN_GRPC_CALLER_SECRET: TEST_PROXY_SECRET } }));
    expect(problems.map((p) => p.split(' ')[0])).toEqual(['security.cert_file', 'security.key_file', 'security.ca_file']);
  });

  it('accepts choria without certificates when insecure mode is chosen explicitly', () => {
    expect(loadConfig({ env: { PROXY_PLUGIN_TRANSPORT: 'choria', PROXY_PLUGIN_SECURITY_MODE: 'insecure', PROXY_PLUGIN_GRPC_PLAINTEXT: 'true', PROXY_PLUGIN_GRPC_CALLER_SECRET: TEST_PROXY_SECRET } }).security.mode).toBe('insecure');
  });

  it('refuses to start without mutual TLS when plain text is not chosen, naming every missing key', () => {
    const problems = problemsOf(() => loadConfig({ env: { PROXY_PLUGIN_TRANSPORT: 'demo' } }));
    expect(problems.map((p) => p.split(' ')[0])).toEqual(['grpc.tls.cert_file', 'grpc.tls.key_file', 'grpc.tls.client_ca_file', 'grpc.tls.trusted_clients']);
  });

  it('refuses half a TLS setup when only the server certificate is given', () => {
    const cert = tempFile('cert.pem', 'x');
    const problems = problemsOf(() => loadConfig({ env: { PROXY_PLUGIN_TRANSPORT: 'demo', PROXY_PLUGIN_GRPC_TLS_CERT_FILE: cert } }));
    expect(problems.map((p) => p.split(' ')[0])).toEqual(['grpc.tls.key_file', 'grpc.tls.client_ca_file', 'grpc.tls.trusted_clients']);
  });

  it('accepts mutual TLS when certificate, key, client CA and trusted clients are all given', () => {
    const file = tempFile('tls.pem', 'x');
    const config = loadConfig({ env: { PROXY_PLUGIN_TRANSPORT: 'demo', PROXY_PLUGIN_GRPC_TLS_CERT_FILE: file, PROXY_PLUGIN_GRPC_TLS_KEY_FILE: file, PROXY_PLUGIN_GRPC_TLS_CLIENT_CA_FILE: file, PROXY_PLUGIN_GRPC_TLS_TRUSTED_CLIENTS: 'foreman.example.com, rex-ui' } });
    expect(config.grpc).toMatchObject({ plaintext: false, tls: { trusted_clients: ['foreman.example.com', 'rex-ui'] } });
  });

  it('refuses plain text when the gRPC server would listen beyond loopback', () => {
    const problems = problemsOf(() => loadConfig({ env: { PROXY_PLUGIN_TRANSPORT: 'demo', PROXY_PLUGIN_GRPC_PLAINTEXT: 'true', PROXY_PLUGIN_GRPC_CALLER_SECRET: TEST_PROXY_SECRET, PROXY_PLUGIN_GRPC_HOST: '0.0.0.0' } }));
    expect(problems.join('\n')).toMatch(/grpc\.plaintext .*only allowed on a loopback grpc\.host.*not 0\.0\.0\.0/);
  });

  it('refuses plain text without a caller secret, naming the key, its env var and how to make one', () => {
    const problems = problemsOf(() => loadConfig({ env: { PROXY_PLUGIN_TRANSPORT: 'demo', PROXY_PLUGIN_GRPC_PLAINTEXT: 'true' } }));
    expect(problems).toEqual([expect.stringMatching(/^grpc\.caller_secret \(env PROXY_PLUGIN_GRPC_CALLER_SECRET\): required with grpc\.plaintext.*openssl rand -base64 32.*proxies\.caller_secret/)]);
  });

  it('refuses a caller secret shorter than 32 characters without printing it', () => {
    const problems = problemsOf(() => loadConfig({ env: { PROXY_PLUGIN_TRANSPORT: 'demo', PROXY_PLUGIN_GRPC_PLAINTEXT: 'true', PROXY_PLUGIN_GRPC_CALLER_SECRET: 'short-s3cret' } }));
    expect(problems[0]).toMatch(/^grpc\.caller_secret .*at least 32 characters.*\[secret\]/);
    expect(problems.join('\n')).not.toContain('short-s3cret');
  });

  it('refuses a caller secret with spaces, which a gRPC header cannot carry as one token', () => {
    const problems = problemsOf(() => loadConfig({ env: { PROXY_PLUGIN_TRANSPORT: 'demo', PROXY_PLUGIN_GRPC_PLAINTEXT: 'true', PROXY_PLUGIN_GRPC_CALLER_SECRET: 'a secret with spaces that is long enough' } }));
    expect(problems[0]).toMatch(/^grpc\.caller_secret .*printable ASCII without spaces/);
  });

  it('accepts a caller secret on top of mutual TLS', () => {
    const file = tempFile('tls.pem', 'x');
    const config = loadConfig({ env: { PROXY_PLUGIN_TRANSPORT: 'demo', PROXY_PLUGIN_GRPC_TLS_CERT_FILE: file, PROXY_PLUGIN_GRPC_TLS_KEY_FILE: file, PROXY_PLUGIN_GRPC_TLS_CLIENT_CA_FILE: file, PROXY_PLUGIN_GRPC_TLS_TRUSTED_CLIENTS: 'rex-ui', PROXY_PLUGIN_GRPC_CALLER_SECRET: TEST_PROXY_SECRET } });
    expect(config.grpc).toMatchObject({ plaintext: false, caller_secret: TEST_PROXY_SECRET });
  });

  it('refuses a policy directory that does not exist', () => {
    const problems = problemsOf(() => loadConfig({ env: { PROXY_PLUGIN_TRANSPORT: 'demo', PROXY_PLUGIN_GRPC_PLAINTEXT: 'true', PROXY_PLUGIN_GRPC_CALLER_SECRET: TEST_PROXY_SECRET, PROXY_PLUGIN_POLICY_DIRECTORY: '/nonexistent/policies' } }));
    expect(problems.join('\n')).toContain('policy.directory');
  });

  it('requires the psk, but no certificates, when the transport is mcollective', () => {
    const problems = problemsOf(() => loadConfig({ env: { PROXY_PLUGIN_TRANSPORT: 'mcollective', PROXY_PLUGIN_MCOLLECTIVE_DDL_DIRECTORIES: os.tmpdir(), PROXY_PLUGIN_GRPC_PLAINTEXT: 'true', PROXY_PLUGIN_GRPC_CALLER_SECRET: TEST_PROXY_SECRET } }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^mcollective\.psk \(env PROXY_PLUGIN_MCOLLECTIVE_PSK\): required/);
  });

  it('loads the MCollective settings with their defaults when psk and DDL folders are given', () => {
    const dirs = [fs.mkdtempSync(path.join(os.tmpdir(), 'ddl-a-')), fs.mkdtempSync(path.join(os.tmpdir(), 'ddl-b-'))];
    const config = loadConfig({
      env: { PROXY_PLUGIN_TRANSPORT: 'mcollective', PROXY_PLUGIN_MCOLLECTIVE_PSK: 's3cret', PROXY_PLUGIN_MCOLLECTIVE_DDL_DIRECTORIES: dirs.join(','), PROXY_PLUGIN_MCOLLECTIVE_TLS: 'true', PROXY_PLUGIN_GRPC_PLAINTEXT: 'true', PROXY_PLUGIN_GRPC_CALLER_SECRET: TEST_PROXY_SECRET },
    });
    expect(config.mcollective).toEqual({
      host: '127.0.0.1',
      port: 61613,
      pool: [],
      connector: 'activemq',
      vhost: '/mcollective',
      user: 'mcollective',
      password: '',
      psk: 's3cret',
      tls: { enabled: true },
      ddl_directories: dirs,
    });
  });

  it('names every MCollective problem at once: callerid mcollectived drops, missing folder, half a client certificate', () => {
    const cert = tempFile('cert.pem', 'x');
    const problems = problemsOf(() =>
      loadConfig({
        env: {
          PROXY_PLUGIN_TRANSPORT: 'mcollective',
          PROXY_PLUGIN_MCOLLECTIVE_PSK: 'k',
          PROXY_PLUGIN_CALLERID: 'user=rex@host',
          PROXY_PLUGIN_MCOLLECTIVE_DDL_DIRECTORIES: '/no/such/ddl/folder',
          PROXY_PLUGIN_MCOLLECTIVE_TLS_CERT_FILE: cert,
          PROXY_PLUGIN_MCOLLECTIVE_CONNECTOR: 'kafka',
        },
      }),
    );
    const text = problems.join('\n');
    expect(text).toContain('mcollective.connector');
    expect(text).toContain('identity.callerid (env PROXY_PLUGIN_CALLERID): user=rex@host is refused by mcollectived');
    expect(text).toContain('folder /no/such/ddl/folder does not exist');
    expect(text).toContain('mcollective.tls.cert_file / mcollective.tls.key_file');
  });

  it('requires the Puppet CA, certificate and key when a Puppet Server is configured for tasks', () => {
    const problems = problemsOf(() => loadConfig({ env: { PROXY_PLUGIN_TRANSPORT: 'demo', PROXY_PLUGIN_GRPC_PLAINTEXT: 'true', PROXY_PLUGIN_GRPC_CALLER_SECRET: TEST_PROXY_SECRET, PROXY_PLUGIN_TASKS_PUPPET_SERVER_URL: 'https://puppet:8140' } }));
    expect(problems.map((p) => p.split(' ')[0])).toEqual(['tasks.ca_file', 'tasks.cert_file', 'tasks.key_file']);
  });

  it('refuses a Puppet Server URL that is not https when tasks are configured', () => {
    const problems = problemsOf(() => loadConfig({ env: { PROXY_PLUGIN_TRANSPORT: 'demo', PROXY_PLUGIN_GRPC_PLAINTEXT: 'true', PROXY_PLUGIN_GRPC_CALLER_SECRET: TEST_PROXY_SECRET, PROXY_PLUGIN_TASKS_PUPPET_SERVER_URL: 'http://puppet:8140' } }));
    expect(problems.join('\n')).toContain('tasks.puppet_server_url');
  });

  it('never shows a secret value when it is invalid', () => {
    const problems = problemsOf(() => loadConfig({ env: { PROXY_PLUGIN_TRANSPORT: 'demo', PROXY_PLUGIN_GRPC_PLAINTEXT: 'true', PROXY_PLUGIN_GRPC_CALLER_SECRET: TEST_PROXY_SECRET, PROXY_PLUGIN_NATS_URL: 'http://user:pw@host' } }));
    expect(problems.join('\n')).not.toContain('pw@');
  });
});

describe('config.example.yaml', () => {
  const example = YAML.parse(fs.readFileSync(EXAMPLE, 'utf8')) as unknown;

  it('documents exactly the keys of the schema', () => {
    expect(leafPaths(example).sort()).toEqual(CONFIG_KEYS.map((k) => k.path).sort());
  });

  it('names the env var of every key', () => {
    const text = fs.readFileSync(EXAMPLE, 'utf8');
    for (const key of CONFIG_KEYS) expect(text).toContain(key.env);
  });

  it('loads when used as the config file with the demo transport', () => {
    const config = loadConfig({ env: { PROXY_PLUGIN_CONFIG_FILE: EXAMPLE, PROXY_PLUGIN_TRANSPORT: 'demo', PROXY_PLUGIN_GRPC_PLAINTEXT: 'true', PROXY_PLUGIN_GRPC_CALLER_SECRET: TEST_PROXY_SECRET }, overrides: { 'ddl.directory': path.resolve(__dirname, '../../proxy-plugin/ddl') } });
    expect(config.name).toBe('rex-proxy');
  });
});
