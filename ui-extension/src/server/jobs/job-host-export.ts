import type { HostState, PuppetRunOutcomeFilter, ShapedOutput } from '@common/jobs';
import type { DdlAction__Output } from '@protos/generated/rex/proxy/v1/DdlAction';
import { parseExact, stringifyExact } from '@protos/json-numbers';
import type { CurrentUser } from '../auth/abilities';
import { AppError } from '../errors';
import { compileSearch } from '../search/compiler';
import type { JobHostExportRepository, JobHostExportRow } from './job-host-export.repository';
import { JOB_HOST_SEARCH, jobHostFilter } from './job-search';
import { shapeOutput } from './output-shaping';
import { puppetRunOutcome } from './puppet-run-outcome';

export type ExportFormat = 'csv' | 'jsonl';

export interface JobHostExportDeps {
  repo: JobHostExportRepository;
  /** The job as the caller may see it: NOT_FOUND (404) when it may not (JobInvocationService.get). */
  visibleJob(user: CurrentUser, id: number): Promise<{ id: number }>;
  dialect: 'mysql' | 'sqlite';
  clock: () => Date;
}

/** An export ready to stream: the headers to send, then the body chunk by chunk. */
export interface JobHostExportStream {
  contentType: string;
  filename: string;
  chunks: AsyncGenerator<string>;
}

export const CSV_COLUMNS = ['host_id', 'host_name', 'state', 'smart_proxy_id', 'statuscode', 'statusmsg', 'reason', 'output', 'data', 'started_at', 'finished_at', 'late'] as const;

/** An ISO time from a raw datetime column (job-host-export.repository.ts says which shapes). */
function iso(value: Date | string | null): string | null {
  if (value === null) return null;
  return (value instanceof Date ? value : new Date(`${value.replace(' ', 'T')}Z`)).toISOString();
}

/** The DDL outputs of one host (the hosts list's `output`); the data is parsed only when some are shown. */
function outputOf(row: JobHostExportRow, ddl: DdlAction__Output): ShapedOutput[] {
  if (!row.data || row.statuscode === null) return NO_OUTPUT;
  const display = ddl.display || 'failed';
  const ok = row.statuscode === 0;
  if (!(display === 'always' || (display === 'ok' && ok) || (display === 'failed' && !ok))) return NO_OUTPUT;
  return shapeOutput(ddl, row.statuscode, parseExact(row.data) as Record<string, unknown>);
}

const NO_OUTPUT: ShapedOutput[] = [];

/**
 * One CSV field (RFC 4180): quoted when it holds a comma, quote or line break. Text that a
 * spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR first: a node's output is not
 * to be trusted) is prefixed with `'`, as OWASP's CSV injection advice says.
 */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = typeof value === 'string' ? value : String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function outputLine(output: ShapedOutput[]): string {
  let line = '';
  for (const o of output) line += `${line === '' ? '' : '; '}${o.display_as || o.name}: ${typeof o.value === 'string' ? o.value : stringifyExact(o.value)}`;
  return line;
}

const str = (value: string | null) => (value === null ? 'null' : JSON.stringify(value));
const num = (value: number | null) => (value === null ? 'null' : String(Number(value)));

/** One CSV line, written field by field: no cell array, no entity. `data` is the stored JSON text. */
function csvLine(row: JobHostExportRow, ddl: DdlAction__Output): string {
  return `${row.host_id ?? ''},${csvField(row.host_name)},${row.state},${row.smart_proxy_id ?? ''},${row.statuscode ?? ''},${csvField(row.statusmsg)},${csvField(row.reason)},${csvField(outputLine(outputOf(row, ddl)))},${csvField(row.data || null)},${iso(row.started_at) ?? ''},${iso(row.finished_at) ?? ''},${row.late_at !== null}\r\n`;
}

/**
 * One JSON line with the hosts list's fields in its order (job-views.ts `toJobHost`). `data` is
 * spliced in as stored: it is the exact-number JSON the result writer wrote.
 */
function jsonLine(row: JobHostExportRow, ddl: DdlAction__Output): string {
  const lateAt = iso(row.late_at);
  // A followed Puppet run's outcome, as the hosts list adds it (puppet-run-outcome.ts); parsed only for replies that hold one.
  const puppetRun = row.data && row.data.includes('"run"') ? puppetRunOutcome(parseExact(row.data) as Record<string, unknown>) : null;
  return `{"host_id":${num(row.host_id)},"host_name":${JSON.stringify(row.host_name)},"smart_proxy_id":${num(row.smart_proxy_id)},"state":${JSON.stringify(row.state)},"reason":${str(row.reason)},"statuscode":${num(row.statuscode)},"statusmsg":${str(row.statusmsg)},"data":${row.data || 'null'},"output":${stringifyExact(outputOf(row, ddl))},"started_at":${str(iso(row.started_at))},"finished_at":${str(iso(row.finished_at))},"late":${lateAt !== null},"late_at":${str(lateAt)},"puppetdb_report":${row.puppetdb_report || 'null'},"puppet_run":${puppetRun === null ? 'null' : JSON.stringify(puppetRun)}}\n`;
}

/** About this much text per chunk: large enough that 100,000 hosts are ~500 writes, small enough to stay out of V8's large-object space. */
const CHUNK_CHARS = 64 * 1024;

/**
 * A job's hosts as CSV or JSON lines (issue #19), with the hosts list's search and states. The
 * access check and the search are done before the first byte, so they still answer 4xx; the rows
 * then stream in batches, never the whole job in memory.
 */
export function createJobHostExport(deps: JobHostExportDeps) {
  return {
    async open(user: CurrentUser, id: number, query: { format: ExportFormat; states?: HostState[]; outcomes?: PuppetRunOutcomeFilter[]; search?: string }): Promise<JobHostExportStream> {
      await deps.visibleJob(user, id);
      const filter = jobHostFilter(query.search, query.outcomes);
      const search = filter ? compileSearch(filter, JOB_HOST_SEARCH, { dialect: deps.dialect, now: deps.clock() }) : undefined;
      const ddlText = await deps.repo.ddlOf(id);
      if (ddlText === null) throw new AppError('NOT_FOUND', `job ${id} not found`);
      const ddl = JSON.parse(ddlText) as DdlAction__Output;
      const { repo } = deps;
      const format = query.format;
      const line = format === 'csv' ? csvLine : jsonLine;
      async function* chunks(): AsyncGenerator<string> {
        let chunk = format === 'csv' ? `${CSV_COLUMNS.join(',')}\r\n` : '';
        for await (const batch of repo.batches(id, { states: query.states, search })) {
          for (let i = 0; i < batch.length; i++) {
            chunk += line(batch[i], ddl);
            // A write per row would cost a syscall each on 100,000 hosts; a chunk per ~64 KB keeps
            // both the writes and what is held between them small.
            if (chunk.length >= CHUNK_CHARS) {
              yield chunk;
              chunk = '';
            }
          }
        }
        if (chunk !== '') yield chunk;
      }
      return {
        contentType: format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8',
        filename: `job-${id}-hosts.${format}`,
        chunks: chunks(),
      };
    },
  };
}

export type JobHostExport = ReturnType<typeof createJobHostExport>;
