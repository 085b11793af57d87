import type { Writable } from 'node:stream';

import { isLosslessNumber, stringify } from 'lossless-json';

/** Where a command writes: stdout for results, stderr for progress and errors. */
export interface Io {
  out: Writable & { isTTY?: boolean; columns?: number };
  err: Writable & { isTTY?: boolean; columns?: number };
  env: NodeJS.ProcessEnv;
  /** Reads a line without echo (the password prompt). */
  askSecret(prompt: string): Promise<string>;
}

export function writeLine(stream: Writable, text = ''): void {
  stream.write(`${text}\n`);
}

/** The API's JSON as it came (pretty-printed): `--json` output parses back to the API's answer. */
export function printJson(io: Io, value: unknown): void {
  // lossless-json: reply data keeps the numbers the API sent (0.0, 2^70; api-client.ts).
  writeLine(io.out, stringify(value, null, 2) ?? 'null');
}

export type Column<T> = readonly [header: string, value: (row: T) => unknown];

function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return value.map(cell).join(',');
  if (isLosslessNumber(value)) return value.value;
  if (typeof value === 'object') return stringify(value) ?? '';
  return String(value);
}

/** A plain table, columns padded to their widest cell, like hammer's `--output table`. */
export function printTable<T>(io: Io, rows: readonly T[], columns: ReadonlyArray<Column<T>>): void {
  const cells = rows.map((row) => columns.map(([, value]) => cell(value(row))));
  const widths = columns.map(([header], i) => Math.max(header.length, ...cells.map((r) => r[i].length)));
  const line = (values: string[]) => values.map((v, i) => (i === values.length - 1 ? v : v.padEnd(widths[i]))).join('  ').trimEnd();
  writeLine(io.out, line(columns.map(([h]) => h.toUpperCase())));
  for (const r of cells) writeLine(io.out, line(r));
}

/** `Key: value` lines for one record. */
export function printRecord(io: Io, pairs: ReadonlyArray<[string, unknown]>): void {
  const width = Math.max(...pairs.map(([k]) => k.length)) + 1;
  for (const [key, value] of pairs) writeLine(io.out, `${`${key}:`.padEnd(width)} ${cell(value)}`);
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
