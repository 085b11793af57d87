import type { Writable } from 'node:stream';

import { isLosslessNumber, stringify } from 'lossless-json';
import YAML from 'yaml';

import { CliError, EXIT } from './exit-codes';

/** hammer's output formats (`--output`); `--json` is `--output json`. */
export const OUTPUT_FORMATS = ['table', 'base', 'csv', 'json', 'yaml'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** How results are printed: `--output`, `--fields`, `--no-headers`. */
export interface OutputOptions {
  format: OutputFormat;
  /** Columns (or record keys) to print, in this order; all when unset. */
  fields?: string[];
  headers: boolean;
}

/** Where a command writes: stdout for results, stderr for progress and errors. */
export interface Io {
  out: Writable & { isTTY?: boolean; columns?: number };
  err: Writable & { isTTY?: boolean; columns?: number };
  env: NodeJS.ProcessEnv;
  /** Reads a line without echo (the password prompt). */
  askSecret(prompt: string): Promise<string>;
  /**
   * The output options of the command being run, set once its options are parsed (program.ts
   * preAction), so that every printer below honours them without each command passing them on.
   */
  output?: OutputOptions;
}

export function writeLine(stream: Writable, text = ''): void {
  stream.write(`${text}\n`);
}

/** The global output options as commander parsed them. */
export interface OutputFlags {
  json?: boolean;
  output?: string;
  fields?: string;
  headers?: boolean;
}

/** Reads and checks `--output`, `--fields`, `--no-headers` (and `--json`). */
export function parseOutputOptions(flags: OutputFlags): OutputOptions {
  const format = flags.output ?? (flags.json ? 'json' : 'table');
  if (!(OUTPUT_FORMATS as readonly string[]).includes(format)) throw new CliError(EXIT.USAGE, `--output: must be one of ${OUTPUT_FORMATS.join(', ')} (got ${JSON.stringify(format)})`);
  if (flags.json && flags.output !== undefined && flags.output !== 'json') throw new CliError(EXIT.USAGE, `--json: not with --output ${flags.output}`);
  const fields = flags.fields?.split(',').map((f) => f.trim()).filter(Boolean);
  if (fields !== undefined && fields.length === 0) throw new CliError(EXIT.USAGE, '--fields: name at least one field, e.g. --fields id,name');
  return { format: format as OutputFormat, fields, headers: flags.headers !== false };
}

/**
 * True when the command should print the API's answer whole: `--output json|yaml` (or `--json`)
 * without `--fields`. With `--fields` the printers below pick the named fields instead.
 */
export function printsApiAnswer(output: OutputOptions): boolean {
  return (output.format === 'json' || output.format === 'yaml') && output.fields === undefined;
}

/** True for the human formats where a command may add its own sections (`rex job show`'s host lists). */
export function printsProse(io: Io): boolean {
  const output = io.output ?? { format: 'table', headers: true };
  return (output.format === 'table' || output.format === 'base') && output.fields === undefined;
}

/** JSON text keeping the numbers as the API sent them (lossless-json; api-client.ts). */
function jsonText(value: unknown): string {
  return stringify(value, null, 2) ?? 'null';
}

/** A number the API sent whose text a double would not print back (2^70, 0.0), as YAML with that text. */
function yamlNumber(text: string): unknown {
  if (/^-?\d+$/.test(text)) return BigInt(text);
  const scalar = new YAML.Scalar(Number(text));
  const fraction = /^-?\d+\.(\d+)$/.exec(text);
  if (fraction) scalar.minFractionDigits = fraction[1].length;
  return scalar;
}

/** YAML of an API answer, its numbers written as the API wrote them. */
function yamlText(value: unknown): string {
  const exact = (v: unknown): unknown => {
    if (isLosslessNumber(v)) return yamlNumber(v.value);
    if (Array.isArray(v)) return v.map(exact);
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, exact(x)]));
    return v;
  };
  return YAML.stringify(exact(value), { lineWidth: 0 }).trimEnd();
}

/**
 * The API's answer as it came: pretty JSON (`--json`, `--output json`) that parses back to the
 * API's answer, or the same as YAML (`--output yaml`).
 */
export function printJson(io: Io, value: unknown): void {
  writeLine(io.out, io.output?.format === 'yaml' ? yamlText(value) : jsonText(value));
}

export type Column<T> = readonly [header: string, value: (row: T) => unknown];

const ISO_TIME = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(\.\d+)?(Z|[+-]\d\d:?\d\d)$/;

/** The formatter of a zone (the CLI's TZ, else the system's); a zone Intl does not know falls back to the system's. */
const timeFormats = new Map<string, Intl.DateTimeFormat>();
function timeFormat(timeZone: string | undefined): Intl.DateTimeFormat {
  const cached = timeFormats.get(timeZone ?? '');
  if (cached) return cached;
  const format = newTimeFormat(timeZone);
  timeFormats.set(timeZone ?? '', format);
  return format;
}

function newTimeFormat(timeZone: string | undefined): Intl.DateTimeFormat {
  const options: Intl.DateTimeFormatOptions = { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' };
  try {
    return new Intl.DateTimeFormat('en-US', { ...options, timeZone: timeZone || undefined });
  } catch {
    return new Intl.DateTimeFormat('en-US', options);
  }
}

/**
 * An API time (ISO 8601, UTC, milliseconds) as people read it in a table: local time (`TZ`, else the
 * system's zone) to the second, `2026-12-06 09:15:02`, as hammer and `puppet job show` print times.
 * Other text is returned unchanged.
 */
export function localTime(text: string, timeZone?: string): string {
  if (!ISO_TIME.test(text)) return text;
  const d = new Date(text);
  if (Number.isNaN(d.getTime())) return text;
  const part = Object.fromEntries(timeFormat(timeZone).formatToParts(d).map((p) => [p.type, p.value]));
  return `${part.year}-${part.month}-${part.day} ${part.hour}:${part.minute}:${part.second}`;
}

/** A cell's text; in `zone` (table, base) times are local to the second, else (csv) the API's text. */
function cell(value: unknown, zone: TimeZone): string {
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return value.map((v) => cell(v, zone)).join(',');
  if (isLosslessNumber(value)) return value.value;
  if (typeof value === 'object') return stringify(value) ?? '';
  if (typeof value === 'string' && zone !== false) return localTime(value, zone.tz);
  return String(value);
}

/** Where times are shown: `{ tz }` in human formats (the CLI's TZ, or the system zone), false to keep them as sent. */
type TimeZone = { tz: string | undefined } | false;
const zoneOf = (io: Io): TimeZone => ({ tz: io.env.TZ });

/** A field name as typed in `--fields`: case, spaces, dashes and underscores do not matter. */
const fieldKey = (name: string) => name.toLowerCase().replace(/[\s_-]+/g, '_');

/** The columns `--fields` names, in its order; a name that is not a column is a usage error listing them. */
export function pickColumns<T>(columns: ReadonlyArray<Column<T>>, fields: string[] | undefined): ReadonlyArray<Column<T>> {
  if (fields === undefined) return columns;
  return fields.map((field) => {
    const found = columns.find(([header]) => fieldKey(header) === fieldKey(field));
    if (!found) throw new CliError(EXIT.USAGE, `--fields: no field ${JSON.stringify(field)} here; the fields are ${columns.map(([h]) => fieldKey(h)).join(', ')}`);
    return found;
  });
}

/** RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled. */
function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** A value for `--fields` with json or yaml: as the API sent it (times stay ISO), arrays and objects whole. */
function rawValue(value: unknown): unknown {
  return value === undefined ? null : value;
}

/**
 * Rows in the chosen format: a table padded to its widest cells (hammer's `table`), `Key: value`
 * blocks (`base`), CSV, or (with `--fields`) JSON/YAML objects of the chosen fields.
 */
export function printTable<T>(io: Io, rows: readonly T[], allColumns: ReadonlyArray<Column<T>>): void {
  const output = io.output ?? { format: 'table', headers: true };
  const columns = pickColumns(allColumns, output.fields);
  switch (output.format) {
    case 'json':
    case 'yaml':
      printJson(io, rows.map((row) => Object.fromEntries(columns.map(([header, value]) => [fieldKey(header), rawValue(value(row))]))));
      return;
    case 'csv':
      if (output.headers) writeLine(io.out, columns.map(([h]) => csvField(fieldKey(h))).join(','));
      for (const row of rows) writeLine(io.out, columns.map(([, value]) => csvField(cell(value(row), false))).join(','));
      return;
    case 'base':
      rows.forEach((row, i) => {
        if (i > 0) writeLine(io.out);
        printPairs(io, columns.map(([header, value]) => [label(header), value(row)]), output.headers);
      });
      return;
    case 'table': {
      const cells = rows.map((row) => columns.map(([, value]) => cell(value(row), zoneOf(io))));
      const widths = columns.map(([header], i) => Math.max(output.headers ? header.length : 0, ...cells.map((r) => r[i].length)));
      const line = (values: string[]) => values.map((v, i) => (i === values.length - 1 ? v : v.padEnd(widths[i]))).join('  ').trimEnd();
      if (output.headers) writeLine(io.out, line(columns.map(([h]) => h.toUpperCase())));
      for (const r of cells) writeLine(io.out, line(r));
    }
  }
}

const label = (header: string) => `${header[0]?.toUpperCase() ?? ''}${header.slice(1)}`;

function printPairs(io: Io, pairs: ReadonlyArray<readonly [string, unknown]>, headers: boolean): void {
  if (!headers) {
    for (const [, value] of pairs) writeLine(io.out, cell(value, zoneOf(io)));
    return;
  }
  const width = Math.max(0, ...pairs.map(([k]) => k.length)) + 1;
  for (const [key, value] of pairs) writeLine(io.out, `${`${key}:`.padEnd(width)} ${cell(value, zoneOf(io))}`.trimEnd());
}

/**
 * One record in the chosen format: `Key: value` lines (table, base), a CSV header and row, or
 * (with `--fields`) a JSON/YAML object of the chosen fields.
 */
export function printRecord(io: Io, pairs: ReadonlyArray<readonly [string, unknown]>): void {
  const output = io.output ?? { format: 'table', headers: true };
  const columns = pickColumns(pairs.map(([key, value]) => [key, () => value] as const), output.fields);
  if (output.format === 'table' || output.format === 'base') {
    printPairs(io, columns.map(([key, value]) => [key, value(undefined)]), output.headers);
    return;
  }
  printTable(io, [undefined], columns.map(([key, value]) => [key, value] as const));
}

/** Foreman's list envelope. */
export interface ListPage<T> {
  total: number;
  subtotal: number;
  page: number;
  per_page: number;
  results: T[];
}

export function printPageFooter(io: Io, page: ListPage<unknown>): void {
  if (page.subtotal > page.results.length) writeLine(io.err, `Page ${page.page}: ${page.results.length} of ${page.subtotal} (use --page and --per-page for more).`);
}
