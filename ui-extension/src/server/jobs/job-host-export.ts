import type { HostState, JobHost } from '@common/jobs';
import type { DdlAction__Output } from '@protos/generated/rex/proxy/v1/DdlAction';
import { parseExact, stringifyExact } from '@protos/json-numbers';
import type { CurrentUser } from '../auth/abilities';
import { AppError } from '../errors';
import { compileSearch } from '../search/compiler';
import type { JobHostEntity } from './job-host.entity';
import type { JobHostExportRepository } from './job-host-export.repository';
import { JOB_HOST_SEARCH } from './job-search';
import { shapeOutput } from './output-shaping';

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

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** A host row as the hosts list answers it (JobInvocationService's toJobHost), numbers exact. */
function toJobHost(row: JobHostEntity, ddl: DdlAction__Output): JobHost {
  const data = row.data ? (parseExact(row.data) as Record<string, unknown>) : null;
  return {
    host_id: row.hostId,
    host_name: row.hostName,
    smart_proxy_id: row.smartProxyId,
    state: row.state,
    reason: row.reason,
    statuscode: row.statuscode,
    statusmsg: row.statusmsg,
    data,
    output: shapeOutput(ddl, row.statuscode, data),
    started_at: iso(row.startedAt),
    finished_at: iso(row.finishedAt),
    late: row.lateAt !== null,
    late_at: iso(row.lateAt),
  };
}

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

function outputLine(host: JobHost): string {
  const said = host.output.map((o) => `${o.display_as || o.name}: ${typeof o.value === 'string' ? o.value : stringifyExact(o.value)}`);
  return said.length > 0 ? said.join('; ') : '';
}

function csvRow(host: JobHost): string {
  const cells: unknown[] = [host.host_id, host.host_name, host.state, host.smart_proxy_id, host.statuscode, host.statusmsg, host.reason, outputLine(host), host.data ? stringifyExact(host.data) : null, host.started_at, host.finished_at, host.late];
  return `${cells.map(csvField).join(',')}\r\n`;
}

/**
 * A job's hosts as CSV or JSON lines (issue #19), with the hosts list's search and states. The
 * access check and the search are done before the first byte, so they still answer 4xx; the rows
 * then stream in batches, never the whole job in memory.
 */
export function createJobHostExport(deps: JobHostExportDeps) {
  return {
    async open(user: CurrentUser, id: number, query: { format: ExportFormat; states?: HostState[]; search?: string }): Promise<JobHostExportStream> {
      await deps.visibleJob(user, id);
      const search = query.search && query.search.trim() !== '' ? compileSearch(query.search, JOB_HOST_SEARCH, { dialect: deps.dialect, now: deps.clock() }) : undefined;
      const ddlText = await deps.repo.ddlOf(id);
      if (ddlText === null) throw new AppError('NOT_FOUND', `job ${id} not found`);
      const ddl = JSON.parse(ddlText) as DdlAction__Output;
      const { repo } = deps;
      const format = query.format;
      async function* chunks(): AsyncGenerator<string> {
        if (format === 'csv') yield `${CSV_COLUMNS.join(',')}\r\n`;
        for await (const batch of repo.batches(id, { states: query.states, search })) {
          // One chunk per batch: a write per row would cost a syscall each on 100,000 hosts.
          yield batch.map((row) => (format === 'csv' ? csvRow(toJobHost(row, ddl)) : `${stringifyExact(toJobHost(row, ddl))}\n`)).join('');
        }
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
