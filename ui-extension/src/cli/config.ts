import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { CliError, EXIT } from './exit-codes';

/** What the CLI needs to reach the API; `secret` is a personal access token or an asked password. */
export interface CliConfig {
  url: string;
  user: string | undefined;
  secret: string | undefined;
  /** Where each value came from (flag, env, file), for `rex config show`. */
  sources: Record<'url' | 'user' | 'secret', 'flag' | 'env' | 'file' | 'default' | 'prompt' | 'unset'>;
  file: string;
}

export interface ConfigFlags {
  url?: string;
  user?: string;
  token?: string;
  config?: string;
}

const fileSchema = z
  .object({
    url: z.string().url('must be a URL such as https://rex.example.com').optional(),
    user: z.string().min(1, 'must not be empty').optional(),
    token: z.string().min(1, 'must not be empty').optional(),
  })
  .strict();

/** `$XDG_CONFIG_HOME/rex/config.yaml`, else `~/.config/rex/config.yaml`. */
export function defaultConfigFile(env: NodeJS.ProcessEnv): string {
  const base = env.XDG_CONFIG_HOME && env.XDG_CONFIG_HOME !== '' ? env.XDG_CONFIG_HOME : path.join(env.HOME ?? os.homedir(), '.config');
  return path.join(base, 'rex', 'config.yaml');
}

function readFile(file: string, explicit: boolean): z.output<typeof fileSchema> {
  if (!fs.existsSync(file)) {
    if (explicit) throw new CliError(EXIT.USAGE, `config file ${file} does not exist`);
    return {};
  }
  let raw: unknown;
  try {
    raw = parseYaml(fs.readFileSync(file, 'utf8')) ?? {};
  } catch (error) {
    throw new CliError(EXIT.USAGE, `config file ${file}: not valid YAML: ${(error as Error).message}`);
  }
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) throw new CliError(EXIT.USAGE, `config file ${file}: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'file'}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

/**
 * Precedence, highest first: flags, env (REX_URL, REX_USER, REX_TOKEN, REX_CONFIG), the config
 * file. A password is never read from flags, env or file: only `--ask-password` prompts for it.
 */
export function loadCliConfig(flags: ConfigFlags, env: NodeJS.ProcessEnv): CliConfig {
  const explicitFile = flags.config ?? (env.REX_CONFIG && env.REX_CONFIG !== '' ? env.REX_CONFIG : undefined);
  const file = explicitFile ?? defaultConfigFile(env);
  const fromFile = readFile(file, explicitFile !== undefined);
  const pick = (flag: string | undefined, envValue: string | undefined, fileValue: string | undefined) =>
    flag !== undefined ? { value: flag, source: 'flag' as const } : envValue !== undefined && envValue !== '' ? { value: envValue, source: 'env' as const } : fileValue !== undefined ? { value: fileValue, source: 'file' as const } : { value: undefined, source: 'unset' as const };
  const url = pick(flags.url, env.REX_URL, fromFile.url);
  const user = pick(flags.user, env.REX_USER, fromFile.user);
  const secret = pick(flags.token, env.REX_TOKEN, fromFile.token);
  const urlValue = url.value ?? 'http://127.0.0.1:3000';
  if (!/^https?:\/\/[^\s]+$/.test(urlValue)) throw new CliError(EXIT.USAGE, `url: must be an http(s) URL such as https://rex.example.com (got ${JSON.stringify(urlValue)} from ${url.source})`);
  return {
    url: urlValue.replace(/\/+$/, ''),
    user: user.value,
    secret: secret.value,
    sources: { url: url.value === undefined ? 'default' : url.source, user: user.source, secret: secret.source },
    file,
  };
}
