import net from 'node:net';
import { z } from 'zod';
import { callerSecret, commaList, ConfigError, deepFreeze, dropEmpty, fileProblems, getPath, port, positiveInt, readConfig, type KeySpec, type LoadConfigOptions } from '@shared/config/config-loader';

export { ConfigError, type KeySpec, type LoadConfigOptions };

/**
 * Typed configuration of the ui-extension (STYLE.md §5). Precedence, lowest first: the defaults
 * below, the YAML file named by UI_EXTENSION_CONFIG_FILE, environment variables. Every key is
 * declared once in CONFIG_KEYS with its env var, meaning and default; config.example.yaml documents
 * the same keys and a test keeps the two in step. This file is the only reader of process.env; the
 * loading itself is shared with the proxy-plugin (shared/config/config-loader.ts).
 */

const boolish = z.preprocess((v) => (typeof v === 'string' ? ['1', 'true', 'yes', 'on'].includes(v.toLowerCase()) : v), z.boolean());

/** Express's names for address ranges (proxy-addr): 127.0.0.0/8 and ::1, 169.254.0.0/16 and fe80::/10, private ranges. */
const PROXY_RANGE_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

function isProxyAddress(entry: string): boolean {
  if (PROXY_RANGE_NAMES.includes(entry)) return true;
  const [address, bits, ...rest] = entry.split('/');
  const version = net.isIP(address);
  if (version === 0 || rest.length > 0) return false;
  return bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (version === 4 ? 32 : 128));
}

/**
 * The reverse proxies whose X-Forwarded-For and X-Forwarded-Proto count: a YAML list, or a
 * comma-separated string in the env var. `false` (the old default) means none. The old `true` is
 * refused: it trusted the header from anyone, so any client could pick the address the login
 * throttle counts against.
 */
const trustedProxies = z.preprocess(
  (v) => {
    if (v === false || v === null) return [];
    if (typeof v !== 'string') return v;
    const text = v.trim();
    if (['', 'false', 'no', 'off', '0'].includes(text.toLowerCase())) return [];
    if (['true', 'yes', 'on', '1'].includes(text.toLowerCase())) return true;
    return text.split(',').map((part) => part.trim()).filter(Boolean);
  },
  z.array(z.string().refine(isProxyAddress, (entry) => ({ message: `${JSON.stringify(entry)} is not an IP address, a CIDR such as 10.0.0.0/24, or one of ${PROXY_RANGE_NAMES.join(', ')}` })), {
    invalid_type_error: 'must list the addresses or CIDRs of your reverse proxies (e.g. [10.0.0.5, 10.1.0.0/16] or "loopback"), or be false; true is no longer accepted, because it let any client choose the address the login throttle counts against',
  }),
);

/**
 * The base URL of an outside server (PuppetDB, Foreman), or '' for none: scheme, host and port.
 * No user:pass@: the URL is not a secret key, so it is shown in errors, logs and config dumps, and
 * each client authenticates by its own settings (`credentials` says which).
 */
const serverUrl = (example: string, credentials: string) =>
  z
    .union([
      z.literal(''),
      z
        .string()
        .regex(/^https?:\/\/[^\s/]+(:\d+)?\/?$/, `must be a URL such as ${example}`)
        .refine((url) => !/^https?:\/\/[^/]*@/.test(url), `must not hold a user name or password (user:pass@): ${credentials}`),
    ])
    .default('');

export const CONFIG_KEYS: readonly KeySpec[] = [
  { path: 'http.host', env: 'UI_EXTENSION_HTTP_HOST', schema: z.string().min(1).default('127.0.0.1'), description: 'Address the API and web UI listen on.' },
  { path: 'http.port', env: 'UI_EXTENSION_PORT', schema: port.default(3000), description: 'Port of the API and web UI; 0 picks a free port.' },
  { path: 'http.trust_proxy', env: 'UI_EXTENSION_TRUST_PROXY', schema: trustedProxies.default([]), description: 'Addresses or CIDRs of the reverse proxies (load balancers) whose X-Forwarded-For and X-Forwarded-Proto count, or loopback/linklocal/uniquelocal; empty trusts none. The env var takes a comma-separated list.' },
  { path: 'http.session_idle_timeout_s', env: 'UI_EXTENSION_SESSION_IDLE_TIMEOUT_S', schema: positiveInt.default(28800), description: 'Seconds a web UI session stays valid without use; logging out ends it at once.' },
  { path: 'http.session_max_lifetime_s', env: 'UI_EXTENSION_SESSION_MAX_LIFETIME_S', schema: positiveInt.default(43200), description: 'Seconds after its login a web UI session ends however busy it is.' },
  { path: 'http.secure_cookies', env: 'UI_EXTENSION_SECURE_COOKIES', schema: boolish.default(false), description: 'Mark the session cookie Secure on every response; it is Secure anyway for a request over TLS or from a trusted proxy with X-Forwarded-Proto: https.' },
  { path: 'database.type', env: 'UI_EXTENSION_DATABASE_TYPE', schema: z.enum(['sqlite', 'mysql']).default('sqlite'), description: 'sqlite (embedded default) or mysql (MySQL/MariaDB, production).' },
  { path: 'database.url', env: 'UI_EXTENSION_DATABASE_URL', schema: z.string().url('must be a URL such as mysql://user:pass@host:3306/db').optional(), description: 'MySQL/MariaDB URL; required when database.type is mysql.', secret: true },
  { path: 'database.sqlite_path', env: 'UI_EXTENSION_SQLITE_PATH', schema: z.string().min(1).default('var/mco-rex.sqlite'), description: 'SQLite file, relative to the working directory.' },
  { path: 'database.pool_size', env: 'UI_EXTENSION_DATABASE_POOL_SIZE', schema: positiveInt.default(10), description: 'MySQL connection pool size.' },
  { path: 'log.level', env: 'UI_EXTENSION_LOG_LEVEL', schema: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'), description: 'Log level.' },
  { path: 'admin.password', env: 'UI_EXTENSION_ADMIN_PASSWORD', schema: z.string().min(8, 'must be at least 8 characters').optional(), description: 'Password of the admin user created on first start; random when unset.', secret: true },
  { path: 'admin.password_file', env: 'UI_EXTENSION_ADMIN_PASSWORD_FILE', schema: z.string().min(1).default('var/initial-admin-password'), description: 'Where the first start writes the generated admin password (mode 0600).' },
  { path: 'demo.seed', env: 'UI_EXTENSION_DEMO_SEED', schema: boolish.default(false), description: 'Seed the demo inventory on first start (the all-in-one start turns it on).' },
  { path: 'demo.proxy_ports', env: 'UI_EXTENSION_DEMO_PROXY_PORTS', schema: z.enum(['inventory', 'auto'], { errorMap: () => ({ message: 'must be inventory (the ports of the demo inventory\'s smart proxy URLs) or auto (free ports the system picks)' }) }).default('inventory'), description: 'Ports of the all-in-one start\'s demo proxies: inventory (each demo smart proxy\'s URL in the demo inventory) or auto (free ports, printed at start; for a second checkout on the same machine).' },
  { path: 'demo.inventory_file', env: 'UI_EXTENSION_DEMO_INVENTORY_FILE', schema: z.string().default(''), description: 'Inventory the demo seed imports; the all-in-one start runs a demo proxy on the port of each of its demo smart proxies. Empty: ui-extension/demo/inventory.yaml.' },
  { path: 'instance_id', env: 'UI_EXTENSION_INSTANCE_ID', schema: z.string().regex(/^[\w.-]{1,64}$/, 'must be 1-64 letters, digits, dots, dashes or underscores').optional(), description: 'Names this instance in job leases; a restart with the same id resumes its running jobs at once. Random when unset.' },
  { path: 'proxies.deadline_ms', env: 'UI_EXTENSION_PROXY_DEADLINE_MS', schema: positiveInt.default(10000), description: 'Deadline of unary gRPC calls to proxies, in milliseconds.' },
  { path: 'proxies.tls.ca_file', env: 'UI_EXTENSION_PROXY_TLS_CA_FILE', schema: z.string().optional(), description: 'CA bundle (PEM) that signed the proxies\' server certificates.' },
  { path: 'proxies.tls.cert_file', env: 'UI_EXTENSION_PROXY_TLS_CERT_FILE', schema: z.string().optional(), description: 'Client certificate (PEM) this ui-extension presents to proxies (mTLS); its name must be in each proxy\'s trusted list.' },
  { path: 'proxies.tls.key_file', env: 'UI_EXTENSION_PROXY_TLS_KEY_FILE', schema: z.string().optional(), description: 'Private key (PEM) of the client certificate.', secret: true },
  { path: 'proxies.plaintext', env: 'UI_EXTENSION_PROXY_PLAINTEXT', schema: boolish.default(false), description: 'Allow plain-text gRPC to proxies on a loopback address (the all-in-one start); never to any other address. Needs proxies.caller_secret.' },
  { path: 'proxies.caller_secret', env: 'UI_EXTENSION_PROXY_CALLER_SECRET', schema: callerSecret.default(''), description: 'Secret sent to every proxy as "authorization: Bearer <secret>"; each proxy checks it against its grpc.caller_secret. Required with proxies.plaintext; over mutual TLS it is sent too, and checked by the proxies that set one.', secret: true },
  { path: 'proxies.sync_interval_s', env: 'UI_EXTENSION_PROXY_SYNC_INTERVAL_S', schema: z.coerce.number().int().min(0).default(300), description: 'Seconds between inventory syncs from the proxies; 0 turns the schedule off.' },
  { path: 'auth.max_failed_logins_per_user', env: 'UI_EXTENSION_AUTH_MAX_FAILED_LOGINS_PER_USER', schema: positiveInt.default(10), description: 'Failed logins for one login name from one client address within the window; the next attempt of that login from that address answers 429 (other addresses are not affected).' },
  { path: 'auth.max_failed_logins_per_address', env: 'UI_EXTENSION_AUTH_MAX_FAILED_LOGINS_PER_ADDRESS', schema: positiveInt.default(30), description: 'Failed logins with login names that do not exist from one client address within the window; further unknown names (and wrong passwords) from it answer 429. A right password always passes it.' },
  { path: 'auth.failed_login_window_s', env: 'UI_EXTENSION_AUTH_FAILED_LOGIN_WINDOW_S', schema: positiveInt.default(60), description: 'Seconds over which failed logins are counted (every instance on the database counts into the same limits).' },
  { path: 'jobs.global_concurrency', env: 'UI_EXTENSION_JOBS_GLOBAL_CONCURRENCY', schema: positiveInt.default(20000), description: 'Hosts in flight across all jobs at once.' },
  { path: 'jobs.default_timeout_s', env: 'UI_EXTENSION_JOBS_DEFAULT_TIMEOUT_S', schema: positiveInt.default(60), description: 'Seconds a host may take to reply when a job names no timeout.' },
  { path: 'jobs.retention_days', env: 'UI_EXTENSION_JOBS_RETENTION_DAYS', schema: positiveInt.default(90), description: 'Host-level job results older than this are purged; job summaries stay.' },
  { path: 'jobs.result_batch_size', env: 'UI_EXTENSION_JOBS_RESULT_BATCH_SIZE', schema: positiveInt.default(500), description: 'Host results written per database statement.' },
  { path: 'puppetdb.url', env: 'UI_EXTENSION_PUPPETDB_URL', schema: serverUrl('https://puppetdb:8081', 'PuppetDB authenticates this ui-extension by its client certificate (puppetdb.cert_file, puppetdb.key_file), not by a password'), description: 'PuppetDB for `pql` targeting and the PuppetDB inventory source; empty turns both off. No user:pass@: the client certificate authenticates.' },
  { path: 'puppetdb.ca_file', env: 'UI_EXTENSION_PUPPETDB_CA_FILE', schema: z.string().optional(), description: 'CA bundle (PEM) of the Puppet CA; required for an https PuppetDB URL.' },
  { path: 'puppetdb.cert_file', env: 'UI_EXTENSION_PUPPETDB_CERT_FILE', schema: z.string().optional(), description: 'Client certificate (PEM) signed by the Puppet CA; PuppetDB over https requires one.' },
  { path: 'puppetdb.key_file', env: 'UI_EXTENSION_PUPPETDB_KEY_FILE', schema: z.string().optional(), description: 'Private key of that certificate (PEM).', secret: true },
  { path: 'puppetdb.timeout_ms', env: 'UI_EXTENSION_PUPPETDB_TIMEOUT_MS', schema: positiveInt.default(10000), description: 'Milliseconds one PuppetDB query may take, its whole answer included; also sent as PuppetDB\'s `timeout` (seconds), which 7.13 and later enforce.' },
  { path: 'puppetdb.max_answer_bytes', env: 'UI_EXTENSION_PUPPETDB_MAX_ANSWER_BYTES', schema: positiveInt.default(67108864), description: 'Bytes one PuppetDB answer may hold (64 MiB); a larger one is cut off and fails its query or sync, naming the cap.' },
  { path: 'puppetdb.sync_interval_s', env: 'UI_EXTENSION_PUPPETDB_SYNC_INTERVAL_S', schema: z.coerce.number().int().min(0).default(0), description: 'Seconds between inventory syncs from PuppetDB (nodes and facts); 0 turns the schedule off.' },
  { path: 'puppetdb.report_wait_s', env: 'UI_EXTENSION_PUPPETDB_REPORT_WAIT_S', schema: z.coerce.number().int().min(0).max(3600, 'must be at most 3600').default(10), description: 'Seconds after a Puppet run host\'s result its report is looked for in PuppetDB (which stores reports asynchronously); then the host keeps why none was found. 0 turns the lookup off.' },
  { path: 'puppetdb.report_concurrency', env: 'UI_EXTENSION_PUPPETDB_REPORT_CONCURRENCY', schema: positiveInt.max(64, 'must be at most 64').default(4), description: 'Report lookups in flight at once, over all jobs of this instance.' },
  { path: 'foreman.url', env: 'UI_EXTENSION_FOREMAN_URL', schema: serverUrl('https://foreman.example.com', 'the login goes in foreman.login and the token in foreman.token (secret), sent as HTTP Basic'), description: 'Foreman whose hosts, hostgroups and facts the Foreman sync pulls (API v2); empty turns the sync off. No user:pass@: foreman.login and foreman.token authenticate.' },
  { path: 'foreman.login', env: 'UI_EXTENSION_FOREMAN_LOGIN', schema: z.string().max(255, 'must be at most 255 characters').default(''), description: 'Foreman user the sync logs in as (it needs view_hosts, view_hostgroups, view_facts and view_smart_proxies).' },
  { path: 'foreman.token', env: 'UI_EXTENSION_FOREMAN_TOKEN', schema: z.string().default(''), description: 'That user\'s personal access token (or password), sent as the HTTP Basic password.', secret: true },
  { path: 'foreman.ca_file', env: 'UI_EXTENSION_FOREMAN_CA_FILE', schema: z.string().optional(), description: 'CA bundle (PEM) that signed Foreman\'s HTTPS certificate; unset: the system\'s CAs.' },
  { path: 'foreman.timeout_ms', env: 'UI_EXTENSION_FOREMAN_TIMEOUT_MS', schema: positiveInt.default(30000), description: 'Milliseconds one Foreman API request may take, its whole answer included (a deadline, not an idle timer).' },
  { path: 'foreman.max_answer_bytes', env: 'UI_EXTENSION_FOREMAN_MAX_ANSWER_BYTES', schema: positiveInt.default(67108864), description: 'Bytes one Foreman API answer may hold (64 MiB); a larger one is cut off and fails the sync, which then writes nothing.' },
  { path: 'foreman.per_page', env: 'UI_EXTENSION_FOREMAN_PER_PAGE', schema: positiveInt.max(1000, 'must be at most 1000').default(250), description: 'Rows asked per page of a Foreman index (hosts, hostgroups, smart proxies, facts).' },
  { path: 'foreman.sync_interval_s', env: 'UI_EXTENSION_FOREMAN_SYNC_INTERVAL_S', schema: z.coerce.number().int().min(0).default(0), description: 'Seconds between Foreman syncs (hosts, hostgroups, facts); 0 turns the schedule off (the API and `rex inventory foreman-sync` still run it).' },
  { path: 'scheduler.enabled', env: 'UI_EXTENSION_SCHEDULER_ENABLED', schema: boolish.default(true), description: 'Whether this instance fires due schedules (any number of instances may; each occurrence fires once).' },
  { path: 'scheduler.poll_interval_ms', env: 'UI_EXTENSION_SCHEDULER_POLL_INTERVAL_MS', schema: positiveInt.default(1000), description: 'Longest sleep between looks for due schedules, in milliseconds: how soon a schedule made on another instance is seen.' },
  { path: 'scheduler.batch_size', env: 'UI_EXTENSION_SCHEDULER_BATCH_SIZE', schema: positiveInt.max(1000, 'must be at most 1000').default(50), description: 'Due schedules claimed and fired per database transaction.' },
  { path: 'scheduler.workers', env: 'UI_EXTENSION_SCHEDULER_WORKERS', schema: positiveInt.max(16, 'must be at most 16').default(3), description: 'Claim loops side by side on MySQL/MariaDB (SQLite has one writer: always 1).' },
  { path: 'scheduler.recurring_start_window_s', env: 'UI_EXTENSION_SCHEDULER_RECURRING_START_WINDOW_S', schema: positiveInt.default(900), description: 'A recurring occurrence that cannot start within this many seconds of its time (e.g. the ui-extension was down) is recorded missed.' },
  { path: 'webhooks.enabled', env: 'UI_EXTENSION_WEBHOOKS_ENABLED', schema: boolish.default(true), description: 'Whether this instance sends webhook deliveries (any number of instances may; each delivery is claimed by one).' },
  { path: 'webhooks.poll_interval_ms', env: 'UI_EXTENSION_WEBHOOKS_POLL_INTERVAL_MS', schema: positiveInt.default(2000), description: 'Milliseconds between looks for ended jobs to announce and for due deliveries.' },
  { path: 'webhooks.timeout_ms', env: 'UI_EXTENSION_WEBHOOKS_TIMEOUT_MS', schema: positiveInt.default(10000), description: 'Milliseconds one delivery attempt may take before it counts as failed.' },
  { path: 'webhooks.max_attempts', env: 'UI_EXTENSION_WEBHOOKS_MAX_ATTEMPTS', schema: positiveInt.max(50, 'must be at most 50').default(10), description: 'Attempts of one delivery before it is recorded failed.' },
  { path: 'webhooks.retry_base_ms', env: 'UI_EXTENSION_WEBHOOKS_RETRY_BASE_MS', schema: positiveInt.default(5000), description: 'Wait before the second attempt; each later wait doubles, up to an hour.' },
  { path: 'metrics.enabled', env: 'UI_EXTENSION_METRICS_ENABLED', schema: boolish.default(true), description: 'Serve Prometheus metrics at GET /metrics on the HTTP port.' },
  { path: 'metrics.bearer_token', env: 'UI_EXTENSION_METRICS_BEARER_TOKEN', schema: z.union([z.literal(''), z.string().min(16, 'must be at least 16 characters')]).default(''), description: 'When set, GET /metrics requires "Authorization: Bearer <token>" (Prometheus `authorization.credentials`); empty leaves it open, like most exporters.', secret: true },
  { path: 'health.database_interval_ms', env: 'UI_EXTENSION_HEALTH_DATABASE_INTERVAL_MS', schema: positiveInt.default(2000), description: 'Milliseconds between the background database checks behind /readyz and /api/v2/status (a ping and a one-row write probe); requests only read their outcome.' },
  { path: 'health.proxy_interval_ms', env: 'UI_EXTENSION_HEALTH_PROXY_INTERVAL_MS', schema: positiveInt.default(2000), description: 'Milliseconds between the background GetInfo calls to each smart proxy behind its live status.' },
  { path: 'health.timeout_ms', env: 'UI_EXTENSION_HEALTH_TIMEOUT_MS', schema: positiveInt.default(2000), description: 'Deadline of each background check (database ping, write probe, a proxy\'s GetInfo), in milliseconds.' },
  { path: 'health.proxy_failures', env: 'UI_EXTENSION_HEALTH_PROXY_FAILURES', schema: positiveInt.default(2), description: 'Failed GetInfo calls in a row (a failed one is repeated at once) before a smart proxy is offline: one late answer is not an outage.' },
  { path: 'jobs.long_poll_max_s', env: 'UI_EXTENSION_JOBS_LONG_POLL_MAX_S', schema: positiveInt.default(60), description: 'Longest wait a long-poll request may ask for.' },
  {
    path: 'jobs.recorded_facts',
    env: 'UI_EXTENSION_JOBS_RECORDED_FACTS',
    schema: commaList(z.array(z.string().max(191, 'each fact name must be at most 191 characters'))).refine((l) => l.length <= 20, 'at most 20 facts: they are read for every host of every new job').default(['osfamily', 'os::family', 'operatingsystem', 'operatingsystemmajrelease']),
    description: 'Facts whose values on a job\'s hosts are recorded with the job when its hosts are written, so `facts.<name> = value` finds the jobs that ran on such hosts; pick facts with few values; [] turns it off (it adds about 1.2 s to a 100,000-host job on MariaDB).',
  },
  { path: 'jobs.max_hosts_per_job', env: 'UI_EXTENSION_JOBS_MAX_HOSTS_PER_JOB', schema: positiveInt.default(50000), description: 'Most hosts one job may target; a larger targeting is refused with 422 naming this limit.' },
  { path: 'jobs.deadline_grace_s', env: 'UI_EXTENSION_JOBS_DEADLINE_GRACE_S', schema: positiveInt.default(30), description: "Seconds past a job's deadline (its whole rollout: every batch and chunk at its timeout) before a proxy that is still not done is cancelled and its hosts recorded by what happened." },
  { path: 'jobs.late_results_window_s', env: 'UI_EXTENSION_JOBS_LATE_RESULTS_WINDOW_S', schema: z.coerce.number().int().min(0).default(900), description: 'Seconds after a job ended during which the results of a proxy it gave up on are still fetched and stored as late results; 0 turns this off.' },
];

export interface Config {
  http: { host: string; port: number; trust_proxy: string[]; session_idle_timeout_s: number; session_max_lifetime_s: number; secure_cookies: boolean };
  database: { type: 'sqlite' | 'mysql'; url?: string; sqlite_path: string; pool_size: number };
  log: { level: string };
  admin: { password?: string; password_file: string };
  demo: { seed: boolean; inventory_file: string; proxy_ports: 'inventory' | 'auto' };
  instance_id?: string;
  /** caller_secret is '' when unset. */
  proxies: { deadline_ms: number; sync_interval_s: number; plaintext: boolean; caller_secret: string; tls: { ca_file?: string; cert_file?: string; key_file?: string } };
  auth: { max_failed_logins_per_user: number; max_failed_logins_per_address: number; failed_login_window_s: number };
  jobs: { global_concurrency: number; default_timeout_s: number; retention_days: number; result_batch_size: number; long_poll_max_s: number; max_hosts_per_job: number; recorded_facts: string[]; deadline_grace_s: number; late_results_window_s: number };
  puppetdb: { url: string; ca_file?: string; cert_file?: string; key_file?: string; timeout_ms: number; max_answer_bytes: number; sync_interval_s: number; report_wait_s: number; report_concurrency: number };
  /** login and token are '' when unset. */
  foreman: { url: string; login: string; token: string; ca_file?: string; timeout_ms: number; max_answer_bytes: number; per_page: number; sync_interval_s: number };
  scheduler: { enabled: boolean; poll_interval_ms: number; batch_size: number; workers: number; recurring_start_window_s: number };
  webhooks: { enabled: boolean; poll_interval_ms: number; timeout_ms: number; max_attempts: number; retry_base_ms: number };
  metrics: { enabled: boolean; bearer_token: string };
  health: { database_interval_ms: number; proxy_interval_ms: number; timeout_ms: number; proxy_failures: number };
}

const SCHEMA = { component: 'ui-extension', fileEnv: 'UI_EXTENSION_CONFIG_FILE', keys: CONFIG_KEYS };

/** Reads, merges and validates the configuration; throws ConfigError listing every bad key. */
export function loadConfig(options: LoadConfigOptions = {}): Readonly<Config> {
  const { values, problems } = readConfig(SCHEMA, { ...options, env: options.env ?? process.env });
  if (getPath(values, 'database.type') === 'mysql' && !getPath(values, 'database.url')) {
    problems.push('database.url (env UI_EXTENSION_DATABASE_URL): required when database.type is mysql');
  }
  problems.push(...proxyTlsProblems(values));
  if ((getPath(values, 'puppetdb.url') as string | undefined)?.startsWith('https:')) {
    problems.push(...fileProblems(values, CONFIG_KEYS, ['puppetdb.ca_file', 'puppetdb.cert_file', 'puppetdb.key_file'], 'required for an https PuppetDB URL (PuppetDB authenticates clients by certificate)'));
  }
  if (getPath(values, 'foreman.url')) {
    for (const k of ['login', 'token']) {
      if (!getPath(values, `foreman.${k}`)) problems.push(`foreman.${k} (env UI_EXTENSION_FOREMAN_${k.toUpperCase()}): required when foreman.url is set (Foreman's API needs a login)`);
    }
    problems.push(...fileProblems(values, CONFIG_KEYS, getPath(values, 'foreman.ca_file') ? ['foreman.ca_file'] : []));
  }
  if (problems.length > 0) throw new ConfigError(problems, SCHEMA.component);
  const config = values as unknown as Config;
  config.proxies.tls = dropEmpty(config.proxies.tls ?? {});
  return deepFreeze(config);
}

/** The proxy client's certificate, key and CA come together (mTLS) or not at all; plain text needs the caller secret. */
function proxyTlsProblems(result: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const files = { ca_file: 'CA_FILE', cert_file: 'CERT_FILE', key_file: 'KEY_FILE' } as const;
  const set = (Object.keys(files) as Array<keyof typeof files>).filter((k) => Boolean(getPath(result, `proxies.tls.${k}`)));
  if (set.length > 0 && set.length < 3) {
    const missing = (Object.keys(files) as Array<keyof typeof files>).filter((k) => !set.includes(k));
    problems.push(`proxies.tls.${missing.join(', proxies.tls.')} (env ${missing.map((k) => `UI_EXTENSION_PROXY_TLS_${files[k]}`).join(', ')}): mTLS to proxies needs the CA, the client certificate and its key together`);
  }
  problems.push(...fileProblems(result, CONFIG_KEYS, set.map((k) => `proxies.tls.${k}`)));
  // A plain-text proxy refuses calls without its secret (there is no way to run one without).
  if (getPath(result, 'proxies.plaintext') === true && !getPath(result, 'proxies.caller_secret')) {
    problems.push('proxies.caller_secret (env UI_EXTENSION_PROXY_CALLER_SECRET): required with proxies.plaintext; use the value of the proxies\' grpc.caller_secret (32+ random characters, e.g. `openssl rand -base64 32`)');
  }
  return problems;
}
