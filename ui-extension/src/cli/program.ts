import { Command, CommanderError } from 'commander';
import { registerCompletionCommands } from './completion';
import { createContext, type Context } from './context';
import { ApiError } from './api-client';
import { CliError, EXIT } from './exit-codes';
import { OUTPUT_FORMATS, printJson, printRecord, writeLine, type Io } from './output';
import { registerInventoryCommands } from './commands/inventory';
import { registerJobCommands } from './commands/jobs';
import { registerPingCommand } from './commands/ping';
import { registerUserCommands } from './commands/users';
import { registerTemplateCommands } from './commands/templates';
import { registerWebhookCommands } from './commands/webhooks';

/** The whole `rex` command tree (the coverage test walks it). `setExit` lets a command end non-zero. */
export function buildProgram(ctx: Context, version: string, setExit: (code: number) => void): Command {
  const program = new Command('rex')
    .description('Remote execution over MCollective and Choria: run actions on hosts, follow jobs, manage the inventory')
    .version(version)
    .option('--url <url>', 'API server (env REX_URL; config file url)')
    .option('--user <login>', 'login (env REX_USER; config file user)')
    .option('--token <token>', 'personal access token (env REX_TOKEN; config file token)')
    .option('--ask-password', 'prompt for the password instead of using a token')
    .option('--config <file>', 'config file (env REX_CONFIG; default ~/.config/rex/config.yaml)')
    .option('--json', 'print the API\'s JSON answer (the same as --output json)')
    .option('--output <format>', `output format: ${OUTPUT_FORMATS.join(', ')} (table by default; json and yaml print the API's answer)`)
    .option('--fields <names>', 'comma-separated fields (columns) to print, in this order, e.g. id,name')
    .option('--no-headers', 'leave out column headers and field names')
    .showHelpAfterError('(rex --help lists the commands)')
    // `rex hosts list --help` lists --output, --fields and --no-headers too, as hammer's help does.
    .configureHelp({ showGlobalOptions: true })
    .exitOverride()
    .configureOutput({ writeOut: (s) => ctx.io.out.write(s), writeErr: (s) => ctx.io.err.write(s) });

  program.command('status').description('Versions and reachability of the server, its database and proxies').action(async (_opts: unknown, cmd: Command) => {
    const api = await ctx.api(cmd);
    const body = await api.get<Record<string, unknown>>('/status');
    if (ctx.json(cmd)) return printJson(ctx.io, body);
    printRecord(ctx.io, Object.entries(body));
  });

  const apiCmd = program.command('api').description('The API itself');
  apiCmd.command('openapi').description('Print the OpenAPI 3 document of the API').action(async (_opts: unknown, cmd: Command) => {
    printJson(ctx.io, await (await ctx.api(cmd)).get('/openapi.json'));
  });

  const config = program.command('config').description('The CLI\'s own settings');
  config.command('show').description('The server, user and where each setting came from (the token is never shown)').action((_opts: unknown, cmd: Command) => {
    const cfg = ctx.config(cmd);
    const view = { url: cfg.url, user: cfg.user ?? null, token: cfg.secret === undefined ? null : '(set)', file: cfg.file, sources: cfg.sources };
    if (ctx.json(cmd)) return printJson(ctx.io, view);
    printRecord(ctx.io, [['url', `${view.url} (${cfg.sources.url})`], ['user', `${view.user ?? ''} (${cfg.sources.user})`], ['token', `${view.token ?? ''} (${cfg.sources.secret})`], ['file', view.file]]);
  });

  registerInventoryCommands(program, ctx);
  registerJobCommands(program, ctx, setExit);
  registerPingCommand(program, ctx, setExit);
  registerUserCommands(program, ctx);
  registerWebhookCommands(program, ctx);
  registerTemplateCommands(program, ctx, setExit);
  registerCompletionCommands(program, ctx);
  // Every printer in output.ts reads the options from the Io: set once the command's options are parsed.
  program.hook('preAction', (_program, action) => {
    ctx.io.output = ctx.output(action);
  });
  for (const cmd of allCommands(program)) {
    cmd.exitOverride();
    cmd.configureOutput({ writeOut: (s) => ctx.io.out.write(s), writeErr: (s) => ctx.io.err.write(s) });
  }
  return program;
}

/** Every command under `root`, depth first. */
export function allCommands(root: Command): Command[] {
  return root.commands.flatMap((c) => [c, ...allCommands(c)]);
}

/**
 * Runs `rex` with `argv` (without node and the script) and answers the exit status: 0 done,
 * 1 a job where some hosts failed, 2 usage or validation error (with the API's message),
 * 3 server error or unreachable.
 */
export async function runCli(argv: string[], io: Io, version: string): Promise<number> {
  let exit: number = EXIT.OK;
  const ctx = createContext(io, version);
  const program = buildProgram(ctx, version, (code) => {
    exit = code;
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exit;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end through here too, with code 0.
      return error.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    }
    if (error instanceof ApiError) {
      writeLine(io.err, `rex: ${error.apiMessage}`);
      writeLine(io.err, `(HTTP ${error.status} ${error.code})`);
      return error.exitCode;
    }
    if (error instanceof CliError) {
      writeLine(io.err, `rex: ${error.message}`);
      return error.exitCode;
    }
    writeLine(io.err, `rex: internal error: ${(error as Error).stack ?? String(error)}`);
    return EXIT.SERVER;
  }
}
