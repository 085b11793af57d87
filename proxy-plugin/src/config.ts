import fs from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import { z } from 'zod';
import { callerSecret, commaList, ConfigError, deepFreeze, dropEmpty, fileProblems, getPath, port, positiveInt, readConfig, type KeySpec, type LoadConfigOptions } from '@shared/config/config-loader';

export { callerSecret, ConfigError, type KeySpec, type LoadConfigOptions };

/**
 * Typed configuration of the proxy-plugin (STYLE.md §5). Precedence, lowest first: the defaults
 * below, the YAML file named by PROXY_PLUGIN_CONFIG_FILE, environment variables, then overrides
 * (used by the all-in-one start). Every key is declared once in CONFIG_KEYS with its env var,
 * meaning and default; config.example.yaml documents the same keys and a test keeps the two in
 * step. This file is the only reader of process.env on the proxy side; the loading itself is
 * shared with the ui-extension (shared/config/config-loader.ts).
 */

const nonNegativeInt = z.coerce.number({ invalid_type_error: 'must be a number' }).int('must be a whole number').min(0, 'must be 0 or more');
const optionalPath = z.string().optional();
/** Env vars carry lists as comma-separated text; the YAML file as a sequence. */
const stringList = commaList(z.array(z.string().regex(/^[A-Za-z0-9_-]+$/, 'names may only hold letters, digits, _ and -')).min(1, 'must name at least one'));
/** Certificate names (CN or DNS SAN) of the clients a proxy trusts. */
const nameList = commaList(z.array(z.string().regex(/^[A-Za-z0-9*.-]+$/, 'names may only hold letters, digits, dots and -')));
/** Identities and collectives become NATS subject tokens (choria-protocol.md §18). */
const subjectToken = z.string().min(1, 'must not be empty').regex(/^[^\s*>]+$/, 'must not contain spaces, * or >');

/**
 * NATS servers: one URL, or a cluster's as a YAML list or comma-separated text. Every entry must be
 * usable, or the proxy refuses to start naming it: a list is never used in part.
 */
const natsServerList = z.preprocess(
  (v) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()) : v),
  z
    .array(z.string({ invalid_type_error: 'each server must be a URL such as nats://127.0.0.1:4222' }))
    .min(1, 'must name at least one server')
    .superRefine((urls, ctx) => {
      urls.forEach((url, i) => {
        const where = urls.length > 1 ? `server ${i + 1} of ${urls.length}` : 'the server';
        if (url === '') ctx.addIssue({ code: z.ZodIssueCode.custom, message: `${where} is empty (a stray comma?)` });
        else if (!/^(nats|tls):\/\/[^\s,/]+\/?$/.test(url) || !URL.canParse(url)) ctx.addIssue({ code: z.ZodIssueCode.custom, message: `${where} must be a URL such as nats://127.0.0.1:4222` });
      });
      const seen = new Set<string>();
      for (const url of urls) {
        if (seen.has(url)) ctx.addIssue({ code: z.ZodIssueCode.custom, message: `${url.replace(/\/\/[^@/]*@/, '//')} is listed twice` });
        seen.add(url);
      }
    }),
);

const DEFAULT_MCOLLECTIVE_HOST = '127.0.0.1';
const DEFAULT_MCOLLECTIVE_PORT = 61613;
/** One STOMP broker host: a name or an address, never a list (that is mcollective.pool). */
const brokerHost = z
  .string()
  .min(1, 'must not be empty')
  .refine((h) => !/[\s,;]/.test(h), 'must be one host; list several brokers in mcollective.pool (env PROXY_PLUGIN_MCOLLECTIVE_POOL) as host:port,host:port')
  .refine((h) => /^[A-Za-z0-9.-]+$/.test(h) || isIP(h.replace(/^\[|\]$/g, '')) !== 0, 'must be a host name or an IP address, without a port or scheme (the port is mcollective.port)');
/** MCollective pool members as host:port ([v6]:port), in the order they are tried. */
const brokerPool = z.preprocess(
  (v) => (typeof v === 'string' ? (v.trim() === '' ? [] : v.split(',').map((s) => s.trim())) : v),
  z.array(z.string({ invalid_type_error: 'each broker must be host:port text' })).superRefine((entries, ctx) => {
    const seen = new Set<string>();
    entries.forEach((entry, i) => {
      const m = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(entry);
      const port = m ? Number(m[2]) : 0;
      if (!m || port < 1 || port > 65535 || (m[1].startsWith('[') && isIP(m[1].slice(1, -1)) !== 6)) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: `broker ${i + 1} of ${entries.length} (${JSON.stringify(entry)}) must be host:port, e.g. mq1.example.net:61613 or [::1]:61614` });
      } else if (seen.has(entry)) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: `broker ${entry} is listed twice` });
      }
      seen.add(entry);
    });
  }),
);

/** Folders, comma separated in an env var; paths may hold anything but a comma. */
const pathList = commaList(z.array(z.string().min(1, 'must not be empty')).min(1, 'must name at least one folder'));
const booleanFlag = z.preprocess((v) => (v === 'true' || v === '1' ? true : v === 'false' || v === '0' || v === '' ? false : v), z.boolean({ invalid_type_error: 'must be true or false' }));
/** Where Debian's mcollective-common installs rpcutil.ddl and the other core agent DDLs. */
export const DEBIAN_MCOLLECTIVE_AGENT_DIRECTORY = '/usr/lib/ruby/vendor_ruby/mcollective/agent';

/**
 * The agent DDLs shipped with the project, from the sources (proxy-plugin/src) or the build
 * (dist/proxy-plugin/src). SOURCES.txt marks the real folder: tsc copies the DDLs that code imports
 * as JSON modules into dist/proxy-plugin/ddl, which is then an incomplete copy.
 */
function shippedDdlDirectory(): string {
  const candidates = [path.resolve(__dirname, '..', 'ddl'), path.resolve(__dirname, '..', '..', '..', 'proxy-plugin', 'ddl')];
  return candidates.find((dir) => fs.existsSync(path.join(dir, 'SOURCES.txt'))) ?? candidates[0];
}

export const CONFIG_KEYS: readonly KeySpec[] = [
  { path: 'name', env: 'PROXY_PLUGIN_NAME', schema: z.string().min(1).default('rex-proxy'), description: 'Name of this proxy, shown by GetInfo (usually the Puppet master it serves).' },
  { path: 'grpc.host', env: 'PROXY_PLUGIN_GRPC_HOST', schema: z.string().min(1).default('127.0.0.1'), description: 'Address the gRPC server binds to.' },
  { path: 'grpc.port', env: 'PROXY_PLUGIN_GRPC_PORT', schema: port.default(50051), description: 'Port of the gRPC server; 0 picks a free port (logged as "proxy listening").' },
  { path: 'grpc.plaintext', env: 'PROXY_PLUGIN_GRPC_PLAINTEXT', schema: booleanFlag.default(false), description: 'Serve plain text instead of mutual TLS; only with a loopback grpc.host and a grpc.caller_secret (a ui-extension on the same machine, the all-in-one start).' },
  { path: 'grpc.caller_secret', env: 'PROXY_PLUGIN_GRPC_CALLER_SECRET', schema: callerSecret.default(''), description: 'Secret every call must carry as "authorization: Bearer <secret>" (the ui-extension\'s proxies.caller_secret); required with grpc.plaintext, optional on top of mutual TLS.', secret: true },
  { path: 'grpc.tls.cert_file', env: 'PROXY_PLUGIN_GRPC_TLS_CERT_FILE', schema: optionalPath, description: 'Server certificate (PEM); required unless grpc.plaintext.' },
  { path: 'grpc.tls.key_file', env: 'PROXY_PLUGIN_GRPC_TLS_KEY_FILE', schema: optionalPath, description: 'Private key of the server certificate (PEM).', secret: true },
  { path: 'grpc.tls.client_ca_file', env: 'PROXY_PLUGIN_GRPC_TLS_CLIENT_CA_FILE', schema: optionalPath, description: 'CA bundle (PEM) that signed the clients\' certificates; a client without one is refused in the handshake.' },
  { path: 'grpc.tls.trusted_clients', env: 'PROXY_PLUGIN_GRPC_TLS_TRUSTED_CLIENTS', schema: nameList.default([]), description: 'Names (certificate CN or DNS SAN) of the clients allowed to call; any other certificate gets PERMISSION_DENIED.' },
  { path: 'transport', env: 'PROXY_PLUGIN_TRANSPORT', schema: z.enum(['choria', 'mcollective', 'demo']).default('choria'), description: 'choria (NATS), mcollective (STOMP) or demo (in-process fleet, never a real broker).' },
  { path: 'nats.tls.ca_file', env: 'PROXY_PLUGIN_NATS_TLS_CA_FILE', schema: optionalPath, description: 'CA bundle (PEM) of the NATS server; setting the NATS TLS files connects with TLS.' },
  { path: 'nats.tls.cert_file', env: 'PROXY_PLUGIN_NATS_TLS_CERT_FILE', schema: optionalPath, description: 'Client certificate (PEM) for brokers that require one (Choria uses the signing certificate).' },
  { path: 'nats.tls.key_file', env: 'PROXY_PLUGIN_NATS_TLS_KEY_FILE', schema: optionalPath, description: 'Private key (PEM) of the NATS client certificate.', secret: true },
  { path: 'nats.url', env: 'PROXY_PLUGIN_NATS_URL', schema: natsServerList.default(['nats://127.0.0.1:4222']), description: 'Choria broker (NATS) URL, or the servers of a NATS cluster: a YAML list, or comma separated in the env var; every one is tried at start and on each reconnect.', secret: true },
  { path: 'collectives', env: 'PROXY_PLUGIN_COLLECTIVES', schema: stringList.default(['mcollective']), description: 'Collectives this proxy may address (comma separated in the env var).' },
  { path: 'main_collective', env: 'PROXY_PLUGIN_MAIN_COLLECTIVE', schema: subjectToken.default('mcollective'), description: 'Collective used when a request names none; must be one of collectives.' },
  { path: 'identity.callerid', env: 'PROXY_PLUGIN_CALLERID', schema: z.string().regex(/^[a-z]+=[^\s]+$/, 'must look like choria=rex.mcollective').default('choria=rex.mcollective'), description: 'Caller id sent with requests; with x509 it must name the certificate CN.' },
  { path: 'identity.senderid', env: 'PROXY_PLUGIN_IDENTITY', schema: subjectToken.default('rex-proxy'), description: 'Identity of this proxy on the broker (senderid).' },
  { path: 'security.mode', env: 'PROXY_PLUGIN_SECURITY_MODE', schema: z.enum(['x509', 'insecure']).default('x509'), description: 'x509 signs every request; insecure is for development only and must be chosen explicitly.' },
  { path: 'security.cert_file', env: 'PROXY_PLUGIN_SECURITY_CERT_FILE', schema: optionalPath, description: 'Client certificate (PEM) sent as pubcert; required for x509.' },
  { path: 'security.key_file', env: 'PROXY_PLUGIN_SECURITY_KEY_FILE', schema: optionalPath, description: 'RSA private key (PEM) that signs requests; required for x509.', secret: true },
  { path: 'security.ca_file', env: 'PROXY_PLUGIN_SECURITY_CA_FILE', schema: optionalPath, description: 'CA bundle (PEM) of the Choria PKI; required for x509.' },
  { path: 'ddl.directory', env: 'PROXY_PLUGIN_DDL_DIRECTORY', schema: z.string().min(1).default(shippedDdlDirectory()), description: 'Folder of agent DDLs (*.json, *.ddl) for the choria and demo transports; defaults to the DDLs shipped in proxy-plugin/ddl.' },
  { path: 'mcollective.host', env: 'PROXY_PLUGIN_MCOLLECTIVE_HOST', schema: brokerHost.optional(), description: 'MCollective STOMP broker (ActiveMQ or RabbitMQ) host (default 127.0.0.1); for several brokers use mcollective.pool instead.' },
  { path: 'mcollective.pool', env: 'PROXY_PLUGIN_MCOLLECTIVE_POOL', schema: brokerPool.default([]), description: 'Several STOMP brokers as host:port, tried in order with failover (plugin.<connector>.pool.N.host/port); a YAML list, or comma separated in the env var. Replaces mcollective.host and mcollective.port; user, password and TLS apply to every one.' },
  { path: 'mcollective.port', env: 'PROXY_PLUGIN_MCOLLECTIVE_PORT', schema: port.optional(), description: 'STOMP port of the broker (default 61613; ActiveMQ: 61613 plain, 61614 TLS).' },
  { path: 'mcollective.connector', env: 'PROXY_PLUGIN_MCOLLECTIVE_CONNECTOR', schema: z.enum(['activemq', 'rabbitmq']).default('activemq'), description: 'Connector conventions the daemons use: activemq (topics and a nodes queue) or rabbitmq (exchanges).' },
  { path: 'mcollective.vhost', env: 'PROXY_PLUGIN_MCOLLECTIVE_VHOST', schema: z.string().min(1).default('/mcollective'), description: 'STOMP host header: the RabbitMQ vhost (plugin.rabbitmq.vhost); ActiveMQ ignores it.' },
  { path: 'mcollective.user', env: 'PROXY_PLUGIN_MCOLLECTIVE_USER', schema: z.string().min(1).default('mcollective'), description: 'Broker user (plugin.<connector>.pool.1.user).' },
  { path: 'mcollective.password', env: 'PROXY_PLUGIN_MCOLLECTIVE_PASSWORD', schema: z.string().default(''), description: 'Broker password (plugin.<connector>.pool.1.password).', secret: true },
  { path: 'mcollective.psk', env: 'PROXY_PLUGIN_MCOLLECTIVE_PSK', schema: z.string().default(''), description: 'Pre-shared key of the psk security plugin (plugin.psk); required for the mcollective transport.', secret: true },
  { path: 'mcollective.tls.enabled', env: 'PROXY_PLUGIN_MCOLLECTIVE_TLS', schema: booleanFlag.default(false), description: 'Speak STOMP over TLS (plugin.activemq.pool.1.ssl = 1).' },
  { path: 'mcollective.tls.ca_file', env: 'PROXY_PLUGIN_MCOLLECTIVE_TLS_CA_FILE', schema: optionalPath, description: 'CA bundle (PEM) that signed the broker certificate; the system CAs when unset.' },
  { path: 'mcollective.tls.cert_file', env: 'PROXY_PLUGIN_MCOLLECTIVE_TLS_CERT_FILE', schema: optionalPath, description: 'Client certificate (PEM) when the broker asks for one.' },
  { path: 'mcollective.tls.key_file', env: 'PROXY_PLUGIN_MCOLLECTIVE_TLS_KEY_FILE', schema: optionalPath, description: 'Private key (PEM) of the client certificate.', secret: true },
  { path: 'mcollective.ddl_directories', env: 'PROXY_PLUGIN_MCOLLECTIVE_DDL_DIRECTORIES', schema: pathList.default([DEBIAN_MCOLLECTIVE_AGENT_DIRECTORY]), description: 'Folders of agent DDLs (*.ddl in Ruby syntax, *.json too) for the mcollective transport, in order (comma separated in the env var).' },
  { path: 'discovery.timeout_ms', env: 'PROXY_PLUGIN_DISCOVERY_TIMEOUT_MS', schema: positiveInt.default(2000), description: 'Milliseconds to wait for discovery replies when a request names no timeout.' },
  { path: 'executions.retention_s', env: 'PROXY_PLUGIN_EXECUTION_RETENTION_S', schema: nonNegativeInt.default(600), description: 'Seconds the events of a finished execution stay available to GetResults.' },
  { path: 'executions.max_retained', env: 'PROXY_PLUGIN_EXECUTION_MAX_RETAINED', schema: positiveInt.default(200), description: 'Finished executions kept in memory at most; the oldest go first.' },
  { path: 'policy.directory', env: 'PROXY_PLUGIN_POLICY_DIRECTORY', schema: z.string().default(''), description: 'Folder of Choria action policy files (<agent>.policy, groups); empty applies the built-in policy: callers user=<ui-extension login>, actions whose DDL this proxy serves.' },
  { path: 'policy.enable_default', env: 'PROXY_PLUGIN_POLICY_ENABLE_DEFAULT', schema: booleanFlag.default(false), description: 'Use <default_name>.policy for agents without a policy file of their own.' },
  { path: 'policy.default_name', env: 'PROXY_PLUGIN_POLICY_DEFAULT_NAME', schema: z.string().regex(/^[\w.-]+$/, 'must be a file name without extension').default('default'), description: 'Name of the default policy file, without .policy.' },
  { path: 'policy.allow_unconfigured', env: 'PROXY_PLUGIN_POLICY_ALLOW_UNCONFIGURED', schema: booleanFlag.default(false), description: 'Decision inside a policy file that has no "policy default" line.' },
  { path: 'audit.file', env: 'PROXY_PLUGIN_AUDIT_FILE', schema: z.string().default(''), description: 'Audit log file (one JSON line per request, mode 0600); empty writes to stdout.' },
  { path: 'demo.node_count', env: 'PROXY_PLUGIN_DEMO_NODE_COUNT', schema: positiveInt.default(30), description: 'Virtual nodes of the demo transport.' },
  { path: 'demo.name_prefix', env: 'PROXY_PLUGIN_DEMO_NAME_PREFIX', schema: subjectToken.default('demo-node'), description: 'Identity prefix of the demo nodes.' },
  { path: 'tasks.puppet_server_url', env: 'PROXY_PLUGIN_TASKS_PUPPET_SERVER_URL', schema: z.union([z.literal(''), z.string().regex(/^https:\/\/[^\s/]+(:\d+)?\/?$/, 'must be a URL such as https://puppet:8140')]).default(''), description: 'Puppet Server whose task API (/puppet/v3/tasks) the proxy reads; empty turns Puppet Tasks off.' },
  { path: 'tasks.environment', env: 'PROXY_PLUGIN_TASKS_ENVIRONMENT', schema: z.string().regex(/^[a-z][a-z0-9_]*$/, 'must be a Puppet environment name such as production').default('production'), description: 'Puppet environment the tasks come from.' },
  { path: 'tasks.ca_file', env: 'PROXY_PLUGIN_TASKS_CA_FILE', schema: optionalPath, description: "CA bundle (PEM) of the Puppet Server's CA (the CA file the agents use); required with puppet_server_url." },
  { path: 'tasks.cert_file', env: 'PROXY_PLUGIN_TASKS_CERT_FILE', schema: optionalPath, description: "The proxy's client certificate (PEM), signed by the Puppet CA; required with puppet_server_url." },
  { path: 'tasks.key_file', env: 'PROXY_PLUGIN_TASKS_KEY_FILE', schema: optionalPath, description: 'Private key of that certificate (PEM).', secret: true },
  { path: 'tasks.cache_ttl_s', env: 'PROXY_PLUGIN_TASKS_CACHE_TTL_S', schema: nonNegativeInt.default(60), description: 'Seconds the task list and metadata are reused before the Puppet Server is asked again.' },
  { path: 'tasks.timeout_s', env: 'PROXY_PLUGIN_TASKS_TIMEOUT_S', schema: positiveInt.default(3600), description: 'Seconds a task may run when a job names no timeout (the tasks namespace timeout).' },
  { path: 'tasks.status_interval_ms', env: 'PROXY_PLUGIN_TASKS_STATUS_INTERVAL_MS', schema: positiveInt.default(2000), description: 'Milliseconds between bolt_tasks#task_status polls of running tasks.' },
  { path: 'tasks.request_timeout_ms', env: 'PROXY_PLUGIN_TASKS_REQUEST_TIMEOUT_MS', schema: positiveInt.default(10000), description: 'Milliseconds one Puppet Server request may take.' },
  { path: 'puppet.status_interval_ms', env: 'PROXY_PLUGIN_PUPPET_STATUS_INTERVAL_MS', schema: positiveInt.default(2000), description: 'Milliseconds between puppet#status polls while a Puppet run (puppet#runonce) is followed to its end.' },
  { path: 'metrics.enabled', env: 'PROXY_PLUGIN_METRICS_ENABLED', schema: booleanFlag.default(false), description: 'Serve Prometheus metrics at GET /metrics on a listener of its own (metrics.host:metrics.port).' },
  { path: 'metrics.host', env: 'PROXY_PLUGIN_METRICS_HOST', schema: z.string().min(1).default('127.0.0.1'), description: 'Address the metrics listener binds to; the Prometheus server must reach it.' },
  { path: 'metrics.port', env: 'PROXY_PLUGIN_METRICS_PORT', schema: port.default(9465), description: 'Port of the metrics listener; 0 picks a free port (logged as "metrics listening").' },
  { path: 'metrics.bearer_token', env: 'PROXY_PLUGIN_METRICS_BEARER_TOKEN', schema: z.union([z.literal(''), z.string().min(16, 'must be at least 16 characters')]).default(''), description: 'When set, GET /metrics requires "Authorization: Bearer <token>"; empty leaves it open.', secret: true },
  { path: 'log.level', env: 'PROXY_PLUGIN_LOG_LEVEL', schema: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'), description: 'Log level.' },
];

export interface Config {
  name: string;
  /** caller_secret: '' (or left out by a config built by hand) when unset. */
  grpc: { host: string; port: number; plaintext: boolean; caller_secret?: string; tls: { cert_file?: string; key_file?: string; client_ca_file?: string; trusted_clients: string[] } };
  transport: 'choria' | 'mcollective' | 'demo';
  /** url: the NATS servers; one for a single broker. */
  nats: { url: string[]; tls: { ca_file?: string; cert_file?: string; key_file?: string } };
  collectives: string[];
  main_collective: string;
  identity: { callerid: string; senderid: string };
  security: { mode: 'x509' | 'insecure'; cert_file?: string; key_file?: string; ca_file?: string };
  ddl: { directory: string };
  mcollective: {
    host: string;
    port: number;
    /** host:port of each broker of a pool, in order; empty: host and port name the one broker. */
    pool: string[];
    connector: 'activemq' | 'rabbitmq';
    vhost: string;
    user: string;
    password: string;
    psk: string;
    tls: { enabled: boolean; ca_file?: string; cert_file?: string; key_file?: string };
    ddl_directories: string[];
  };
  discovery: { timeout_ms: number };
  executions: { retention_s: number; max_retained: number };
  policy: { directory: string; enable_default: boolean; default_name: string; allow_unconfigured: boolean };
  audit: { file: string };
  demo: { node_count: number; name_prefix: string };
  tasks: {
    puppet_server_url: string;
    environment: string;
    ca_file?: string;
    cert_file?: string;
    key_file?: string;
    cache_ttl_s: number;
    timeout_s: number;
    status_interval_ms: number;
    request_timeout_ms: number;
  };
  puppet: { status_interval_ms: number };
  metrics: { enabled: boolean; host: string; port: number; bearer_token: string };
  log: { level: string };
}

const SCHEMA = { component: 'proxy-plugin', fileEnv: 'PROXY_PLUGIN_CONFIG_FILE', keys: CONFIG_KEYS };

/** Reads, merges and validates the configuration; throws ConfigError listing every bad key. */
export function loadConfig(options: LoadConfigOptions = {}): Readonly<Config> {
  const { values, problems } = readConfig(SCHEMA, { ...options, env: options.env ?? process.env });
  problems.push(...crossKeyProblems(values));
  if (problems.length > 0) throw new ConfigError(problems, SCHEMA.component);
  const config = values as unknown as Config;
  config.grpc.tls = { ...dropEmpty(config.grpc.tls ?? {}), trusted_clients: config.grpc.tls?.trusted_clients ?? [] };
  config.nats.tls = dropEmpty(config.nats.tls ?? {});
  // No schema default for these two, so that a pool beside them is seen (mcollectiveProblems).
  config.mcollective.host ??= DEFAULT_MCOLLECTIVE_HOST;
  config.mcollective.port ??= DEFAULT_MCOLLECTIVE_PORT;
  return deepFreeze(config);
}

function crossKeyProblems(result: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const collectives = getPath(result, 'collectives') as string[] | undefined;
  const main = getPath(result, 'main_collective') as string | undefined;
  if (collectives && main && !collectives.includes(main)) {
    problems.push(`main_collective (env PROXY_PLUGIN_MAIN_COLLECTIVE): ${main} is not one of collectives (${collectives.join(', ')}); add it to PROXY_PLUGIN_COLLECTIVES`);
  }
  const transport = getPath(result, 'transport');
  // The demo fleet lives in process, so broker credentials mean nothing to it; MCollective signs with its psk.
  if (transport === 'choria' && getPath(result, 'security.mode') === 'x509') {
    problems.push(...fileProblems(result, CONFIG_KEYS, ['security.cert_file', 'security.key_file', 'security.ca_file'], 'required when security.mode is x509; or set security.mode to insecure for development'));
  }
  if (transport === 'mcollective') problems.push(...mcollectiveProblems(result));
  const tlsCert = getPath(result, 'grpc.tls.cert_file') as string | undefined;
  const tlsKey = getPath(result, 'grpc.tls.key_file') as string | undefined;
  const tlsCa = getPath(result, 'grpc.tls.client_ca_file') as string | undefined;
  const trusted = (getPath(result, 'grpc.tls.trusted_clients') as string[] | undefined) ?? [];
  const host = getPath(result, 'grpc.host') as string | undefined;
  if (getPath(result, 'grpc.plaintext') === true) {
    // Plain text means anyone who reaches the port may run actions as this proxy: loopback only.
    if (host && !isLoopbackHost(host)) problems.push(`grpc.plaintext (env PROXY_PLUGIN_GRPC_PLAINTEXT): plain text is only allowed on a loopback grpc.host (127.0.0.1, ::1, localhost), not ${host}; configure grpc.tls.* instead`);
    if (tlsCert || tlsKey || tlsCa) problems.push('grpc.plaintext / grpc.tls.*: choose one: plain text on loopback, or mutual TLS');
    // Loopback is not a boundary: every local user and process (a web app tricked into making
    // requests included) reaches the port. There is deliberately no flag to go without.
    if (!getPath(result, 'grpc.caller_secret')) problems.push('grpc.caller_secret (env PROXY_PLUGIN_GRPC_CALLER_SECRET): required with grpc.plaintext, or any process on this machine could run actions through this proxy; set 32+ random characters (e.g. `openssl rand -base64 32`) and give the ui-extension the same value as proxies.caller_secret');
  } else {
    for (const [key, env, value] of [['cert_file', 'CERT_FILE', tlsCert], ['key_file', 'KEY_FILE', tlsKey], ['client_ca_file', 'CLIENT_CA_FILE', tlsCa]] as const) {
      if (!value) problems.push(`grpc.tls.${key} (env PROXY_PLUGIN_GRPC_TLS_${env}): required for mutual TLS; or set grpc.plaintext: true with a loopback grpc.host for development`);
    }
    if (trusted.length === 0) problems.push('grpc.tls.trusted_clients (env PROXY_PLUGIN_GRPC_TLS_TRUSTED_CLIENTS): name at least one client certificate (CN or DNS name) allowed to call this proxy');
  }
  problems.push(...fileProblems(result, CONFIG_KEYS, ['grpc.tls.cert_file', 'grpc.tls.key_file', 'grpc.tls.client_ca_file']));
  const natsCert = getPath(result, 'nats.tls.cert_file') as string | undefined;
  const natsKey = getPath(result, 'nats.tls.key_file') as string | undefined;
  if (Boolean(natsCert) !== Boolean(natsKey)) problems.push('nats.tls.cert_file / nats.tls.key_file: set both for a client certificate, or neither');
  problems.push(...fileProblems(result, CONFIG_KEYS, ['nats.tls.ca_file', 'nats.tls.cert_file', 'nats.tls.key_file']));
  const policyDir = getPath(result, 'policy.directory') as string | undefined;
  if (policyDir && !fs.existsSync(policyDir)) problems.push(`policy.directory (env PROXY_PLUGIN_POLICY_DIRECTORY): folder ${policyDir} does not exist`);
  if (getPath(result, 'tasks.puppet_server_url')) {
    problems.push(...fileProblems(result, CONFIG_KEYS, ['tasks.ca_file', 'tasks.cert_file', 'tasks.key_file'], 'required when tasks.puppet_server_url is set (the Puppet Server authenticates the proxy by its certificate)'));
  }
  const ddlDir = getPath(result, 'ddl.directory') as string | undefined;
  if (ddlDir && !fs.existsSync(ddlDir)) problems.push(`ddl.directory (env PROXY_PLUGIN_DDL_DIRECTORY): folder ${ddlDir} does not exist`);
  return problems;
}

/** What the mcollective transport needs beyond the schema; other transports ignore these keys. */
function mcollectiveProblems(result: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const pool = (getPath(result, 'mcollective.pool') as string[] | undefined) ?? [];
  // Never half-used: a pool and a single broker both given would leave one of them ignored.
  for (const key of ['host', 'port']) {
    if (pool.length > 0 && getPath(result, `mcollective.${key}`) !== undefined) problems.push(`mcollective.pool / mcollective.${key} (env PROXY_PLUGIN_MCOLLECTIVE_POOL / PROXY_PLUGIN_MCOLLECTIVE_${key.toUpperCase()}): choose one: mcollective.pool lists every broker as host:port, so leave mcollective.${key} unset`);
  }
  if (!getPath(result, 'mcollective.psk')) problems.push('mcollective.psk (env PROXY_PLUGIN_MCOLLECTIVE_PSK): required when transport is mcollective; use the plugin.psk of the daemons');
  const callerid = getPath(result, 'identity.callerid') as string | undefined;
  // security/base.rb valid_callerid?: mcollectived drops a request whose callerid does not match.
  if (callerid && !/^\w+=[\w.-]+$/.test(callerid)) problems.push(`identity.callerid (env PROXY_PLUGIN_CALLERID): ${callerid} is refused by mcollectived; use name=value with letters, digits, _, . and - (e.g. uid=rex)`);
  for (const dir of (getPath(result, 'mcollective.ddl_directories') as string[] | undefined) ?? []) {
    if (!fs.existsSync(dir)) problems.push(`mcollective.ddl_directories (env PROXY_PLUGIN_MCOLLECTIVE_DDL_DIRECTORIES): folder ${dir} does not exist`);
  }
  problems.push(...fileProblems(result, CONFIG_KEYS, ['mcollective.tls.ca_file', 'mcollective.tls.cert_file', 'mcollective.tls.key_file']));
  if (Boolean(getPath(result, 'mcollective.tls.cert_file')) !== Boolean(getPath(result, 'mcollective.tls.key_file'))) {
    problems.push('mcollective.tls.cert_file / mcollective.tls.key_file: set both for a client certificate, or neither');
  }
  return problems;
}

/** Whether a bind address or host name only reaches this machine. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}
