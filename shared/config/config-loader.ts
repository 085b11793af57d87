import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';

/**
 * The configuration mechanics proxy-plugin and ui-extension share (STYLE.md §5): each key declared
 * once with its env var, precedence defaults < YAML file < env vars < overrides, and every bad key
 * reported in one error naming the key, where its value came from and its env var. What differs
 * stays in each package's config.ts: its keys, cross-key rules, Config type and clean-up; that file
 * remains the only reader of process.env on its side.
 */
export interface KeySpec {
  /** Dotted path in the YAML file and in Config. */
  path: string;
  env: string;
  schema: z.ZodTypeAny;
  description: string;
  secret?: boolean;
}

/** What `readConfig` needs to know about one package's configuration. */
export interface ConfigSchema {
  /** Named in the error's first line: "invalid <component> configuration". */
  component: string;
  /** The env var that names the YAML file, e.g. PROXY_PLUGIN_CONFIG_FILE. */
  fileEnv: string;
  keys: readonly KeySpec[];
}

export interface LoadConfigOptions {
  env?: NodeJS.ProcessEnv;
  /** Values by dotted path, applied above env vars; the all-in-one start uses them. */
  overrides?: Record<string, unknown>;
}

/**
 * A config file is a few kilobytes; one far larger is the wrong file (a log, a binary), and YAML
 * parsing it whole would only delay the error.
 */
export const CONFIG_FILE_MAX_BYTES = 1024 * 1024;

export const port = z.coerce.number({ invalid_type_error: 'must be a port number' }).int('must be a whole number').min(0, 'must be 0..65535').max(65535, 'must be 0..65535');
export const positiveInt = z.coerce.number({ invalid_type_error: 'must be a number' }).int('must be a whole number').positive('must be greater than 0');
/**
 * A shared secret that travels in a gRPC header (proxy-plugin grpc.caller_secret and ui-extension
 * proxies.caller_secret must be equal, so they obey one rule): printable ASCII without spaces, and
 * long enough that guessing it over the network is hopeless (`openssl rand -base64 32` gives 44).
 */
export const callerSecret = z.union([
  z.literal(''),
  z.string().min(32, 'must be at least 32 characters (e.g. `openssl rand -base64 32`)').regex(/^[\x21-\x7e]+$/, 'may only hold printable ASCII without spaces (it travels in a gRPC header)'),
]);
/** Env vars carry lists as comma-separated text, the YAML file as a sequence: both reach `list`. */
export const commaList = <T extends z.ZodTypeAny>(list: T) => z.preprocess((v) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter((s) => s !== '') : v), list);

/** Every bad key at once, one line each, so an operator fixes them in one go. */
export class ConfigError extends Error {
  constructor(readonly problems: string[], component: string) {
    super(`invalid ${component} configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export function getPath(obj: unknown, dotted: string): unknown {
  return dotted.split('.').reduce<unknown>((acc, key) => (acc && typeof acc === 'object' ? (acc as Record<string, unknown>)[key] : undefined), obj);
}

function setPath(obj: Record<string, unknown>, dotted: string, value: unknown): void {
  const keys = dotted.split('.');
  let node = obj;
  for (const key of keys.slice(0, -1)) {
    node[key] = (node[key] as Record<string, unknown> | undefined) ?? {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys[keys.length - 1]] = value;
}

/** Leaf paths of a YAML document; lists count as leaves because a list is one key. */
export function leafPaths(obj: unknown, prefix = ''): string[] {
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) return prefix ? [prefix] : [];
  return Object.entries(obj as Record<string, unknown>).flatMap(([k, v]) => leafPaths(v, prefix ? `${prefix}.${k}` : k));
}

function readYamlFile(fileEnv: string, fileName: string, problems: string[]): unknown {
  try {
    const file = path.resolve(fileName);
    const size = fs.statSync(file).size;
    if (size > CONFIG_FILE_MAX_BYTES) {
      problems.push(`${fileEnv} (${fileName}): is ${size} bytes, more than the ${CONFIG_FILE_MAX_BYTES} a config file may have; is it the right file?`);
      return {};
    }
    return YAML.parse(fs.readFileSync(file, 'utf8')) ?? {};
  } catch (error) {
    problems.push(`${fileEnv} (${fileName}): cannot be read as YAML: ${(error as Error).message}`);
    return {};
  }
}

/**
 * Reads the YAML file named by `schema.fileEnv`, overlays env vars and overrides, and validates
 * every key. Returns the values by path and the problems found (unknown file keys, bad values),
 * so the package can add its cross-key rules before it throws one ConfigError.
 */
export function readConfig(schema: ConfigSchema, options: LoadConfigOptions & { env: NodeJS.ProcessEnv }): { values: Record<string, unknown>; problems: string[] } {
  const { env } = options;
  const problems: string[] = [];
  let file: unknown = {};
  const fileName = env[schema.fileEnv];
  if (fileName) {
    file = readYamlFile(schema.fileEnv, fileName, problems);
    const declared = new Set<string>(schema.keys.map((k) => k.path));
    for (const key of leafPaths(file)) {
      if (!declared.has(key)) problems.push(`${key} (in ${fileName}): unknown key; valid keys are ${[...declared].join(', ')}`);
    }
  }
  const values: Record<string, unknown> = {};
  for (const spec of schema.keys) {
    const fromOverride = options.overrides?.[spec.path];
    const fromEnv = env[spec.env];
    const fromFile = getPath(file, spec.path);
    const envSet = fromEnv !== undefined && fromEnv !== '';
    const raw = fromOverride ?? (envSet ? fromEnv : fromFile);
    const source = fromOverride !== undefined ? 'override' : envSet ? spec.env : fromFile !== undefined ? 'config file' : 'default';
    const parsed = spec.schema.safeParse(raw);
    if (parsed.success) {
      if (parsed.data !== undefined) setPath(values, spec.path, parsed.data);
    } else {
      // A URL's user:pass@ is kept out even of keys that are not secret (a refused puppetdb.url).
      const shown = spec.secret ? '[secret]' : JSON.stringify(raw)?.replace(/\/\/[^/@\s"]*@/g, '//[redacted]@');
      problems.push(`${spec.path} (from ${source}${source === spec.env ? '' : `, env ${spec.env}`}): ${parsed.error.issues.map((i) => i.message).join('; ')} (got ${shown})`);
    }
  }
  return { values, problems };
}

/** `path (env VAR)`: how a cross-key problem names its key, so the operator knows both ways to set it. */
export function keyName(keys: readonly KeySpec[], dotted: string): string {
  const spec = keys.find((k) => k.path === dotted);
  return spec ? `${dotted} (env ${spec.env})` : dotted;
}

/**
 * Certificate, key and CA files: each of `paths` must exist when set, and must be set when
 * `required` gives the reason (the message's end, e.g. "required when security.mode is x509").
 */
export function fileProblems(values: Record<string, unknown>, keys: readonly KeySpec[], paths: readonly string[], required?: string): string[] {
  const problems: string[] = [];
  for (const dotted of paths) {
    const file = getPath(values, dotted) as string | undefined;
    if (!file) {
      if (required) problems.push(`${keyName(keys, dotted)}: ${required}`);
    } else if (!fs.existsSync(file)) problems.push(`${keyName(keys, dotted)}: file ${file} does not exist`);
  }
  return problems;
}

/** YAML files write unset paths as "" (as the config.example.yaml files do). */
export function dropEmpty<T extends object>(obj: T): T {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== '' && v !== undefined)) as T;
}

export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
