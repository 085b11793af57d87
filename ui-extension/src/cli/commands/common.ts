import { Option, type Command } from 'commander';
import { CliError, EXIT } from '../exit-codes';
import type { Context } from '../context';
import type { Query } from '../api-client';
import { printJson, printPageFooter, printRecord, printTable, writeLine, type Column, type ListPage } from '../output';

export interface ListOptions {
  search?: string;
  order?: string;
  page?: string;
  perPage?: string;
}

/** Foreman's list parameters on a command. */
export function withListOptions(cmd: Command, options: { order?: boolean; search?: boolean } = {}): Command {
  if (options.search !== false) cmd.option('-s, --search <query>', 'Foreman search, e.g. "name ~ web" (docs/API.md lists each list\'s fields)');
  cmd.option('--page <n>', 'page number, from 1').option('--per-page <n>', 'results per page (at most 1000)');
  if (options.order) cmd.option('--order <field>', 'sort field, optionally followed by ASC or DESC');
  return cmd;
}

export function listQuery(opts: ListOptions): Query {
  return { search: opts.search, order: opts.order, page: opts.page, per_page: opts.perPage };
}

/** GET a list and print it: the API's JSON as it came with --json, else a table. */
export async function runList<T>(ctx: Context, cmd: Command, path: string, query: Query, columns: ReadonlyArray<Column<T>>): Promise<void> {
  const page = await (await ctx.api(cmd)).get<ListPage<T>>(path, query);
  if (ctx.json(cmd)) return printJson(ctx.io, page);
  printTable(ctx.io, page.results, columns);
  printPageFooter(ctx.io, page);
}

/** Call the API and print the record: JSON with --json, else the chosen fields. */
export async function runRecord<T>(ctx: Context, cmd: Command, call: () => Promise<T>, fields: (record: T) => ReadonlyArray<[string, unknown]>): Promise<void> {
  const record = await call();
  if (ctx.json(cmd)) return printJson(ctx.io, record);
  printRecord(ctx.io, fields(record));
}

/** Prints a short confirmation, or the API's JSON with --json. */
export function done(ctx: Context, cmd: Command, body: unknown, message: string): void {
  if (ctx.json(cmd)) return printJson(ctx.io, body);
  writeLine(ctx.io.out, message);
}

export const enc = encodeURIComponent;

/** A whole positive number from the command line, or a usage error naming the option. */
export function positiveInt(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new CliError(EXIT.USAGE, `${name}: must be a whole number of at least 1 (got ${JSON.stringify(value)})`);
  return Number(value);
}

export function hidden(flags: string, description: string): Option {
  return new Option(flags, description).hideHelp();
}
