import type { Command } from 'commander';
import { createApiClient, type ApiClient } from './api-client';
import { loadCliConfig, type CliConfig } from './config';
import { CliError, EXIT } from './exit-codes';
import { parseOutputOptions, printsApiAnswer, type Io, type OutputOptions } from './output';

/** Global options, on the program; they may stand before or after the command. */
export interface GlobalOptions {
  url?: string;
  user?: string;
  token?: string;
  config?: string;
  askPassword?: boolean;
  json?: boolean;
  output?: string;
  fields?: string;
  headers?: boolean;
}

/** What every command gets: its output streams, the API (lazily configured) and the output options. */
export interface Context {
  io: Io;
  api(cmd: Command): Promise<ApiClient>;
  config(cmd: Command): CliConfig;
  /** True when the API's answer is printed whole: `--json`, or `--output json|yaml` without `--fields` (printJson writes either). */
  json(cmd: Command): boolean;
  /** `--output`, `--fields`, `--no-headers`; a bad value is a usage error. */
  output(cmd: Command): OutputOptions;
}

export function createContext(io: Io, version: string): Context {
  let client: ApiClient | undefined;
  const config = (cmd: Command) => {
    const opts = cmd.optsWithGlobals<GlobalOptions>();
    return loadCliConfig({ url: opts.url, user: opts.user, token: opts.token, config: opts.config }, io.env);
  };
  return {
    io,
    config,
    json: (cmd) => printsApiAnswer(parseOutputOptions(cmd.optsWithGlobals<GlobalOptions>())),
    output: (cmd) => parseOutputOptions(cmd.optsWithGlobals<GlobalOptions>()),
    async api(cmd) {
      if (client) return client;
      const cfg = config(cmd);
      let secret = cfg.secret;
      if (cmd.optsWithGlobals<GlobalOptions>().askPassword) {
        if (cfg.user === undefined) throw new CliError(EXIT.USAGE, '--ask-password needs a user: --user, REX_USER or user in the config file');
        secret = await io.askSecret(`Password for ${cfg.user} at ${cfg.url}: `);
      }
      if (cfg.user !== undefined && secret === undefined) throw new CliError(EXIT.USAGE, `user ${cfg.user} has no token: set --token, REX_TOKEN or token in ${cfg.file}, or use --ask-password`);
      // A token goes with its user's login (HTTP Basic, as Foreman's personal access tokens do).
      if (cfg.user === undefined && secret !== undefined) throw new CliError(EXIT.USAGE, `a token needs its user: set --user, REX_USER or user in ${cfg.file} (the login the token belongs to)`);
      client = createApiClient({ url: cfg.url, user: cfg.user, secret, userAgent: `rex-cli/${version}` });
      return client;
    },
  };
}
