import type { DataSource } from 'typeorm';
import { dbDate } from '../jobs/job-invocation.repository';

export interface JobTemplateRow {
  id: number;
  name: string;
  descriptionFormat: string;
  namespace: string;
  action: string;
  /** JSON texts as stored (arguments keep their exact numbers: @protos/json-numbers). */
  arguments: string;
  inputs: string;
  targeting: string | null;
  batchSize: number | null;
  concurrencyLevel: number | null;
  timeoutS: number | null;
  createdAt: Date;
  updatedAt: Date;
}

export type JobTemplateFields = Omit<JobTemplateRow, 'id' | 'createdAt' | 'updatedAt'>;

type Raw = Record<string, unknown>;
const date = (v: unknown): Date => (v instanceof Date ? v : new Date(`${String(v).replace(' ', 'T')}Z`));
const intOrNull = (v: unknown) => (v === null || v === undefined ? null : Number(v));

function toRow(r: Raw): JobTemplateRow {
  return {
    id: Number(r.id),
    name: String(r.name),
    descriptionFormat: String(r.description_format ?? ''),
    namespace: String(r.namespace),
    action: String(r.action),
    arguments: String(r.arguments),
    inputs: String(r.inputs),
    targeting: (r.targeting as string | null) ?? null,
    batchSize: intOrNull(r.batch_size),
    concurrencyLevel: intOrNull(r.concurrency_level),
    timeoutS: intOrNull(r.timeout_s),
    createdAt: date(r.created_at),
    updatedAt: date(r.updated_at),
  };
}

const COLUMNS = ['name', 'description_format', 'namespace', 'action', 'arguments', 'inputs', 'targeting', 'batch_size', 'concurrency_level', 'timeout_s'] as const;
const values = (t: JobTemplateFields) => [t.name, t.descriptionFormat, t.namespace, t.action, t.arguments, t.inputs, t.targeting, t.batchSize, t.concurrencyLevel, t.timeoutS];

/** The job_templates table (migrations/1765819100000-CreateJobTemplates.ts). */
export function createJobTemplateRepository(dataSource: DataSource) {
  const q = (sql: string, params: unknown[] = []) => dataSource.query(sql, params) as Promise<Raw[]>;
  return {
    async list(): Promise<JobTemplateRow[]> {
      return (await q('SELECT * FROM job_templates ORDER BY name')).map(toRow);
    },
    async byId(id: number): Promise<JobTemplateRow | undefined> {
      const rows = await q('SELECT * FROM job_templates WHERE id = ?', [id]);
      return rows[0] ? toRow(rows[0]) : undefined;
    },
    async byName(name: string): Promise<JobTemplateRow | undefined> {
      const rows = await q('SELECT * FROM job_templates WHERE name = ?', [name]);
      return rows[0] ? toRow(rows[0]) : undefined;
    },
    async create(t: JobTemplateFields, now: Date): Promise<number> {
      await q(`INSERT INTO job_templates (${COLUMNS.join(', ')}, created_at, updated_at) VALUES (${COLUMNS.map(() => '?').join(', ')}, ?, ?)`, [...values(t), dbDate(now), dbDate(now)]);
      return (await this.byName(t.name))!.id;
    },
    async update(id: number, t: JobTemplateFields, now: Date): Promise<void> {
      await q(`UPDATE job_templates SET ${COLUMNS.map((c) => `${c} = ?`).join(', ')}, updated_at = ? WHERE id = ?`, [...values(t), dbDate(now), id]);
    },
    async remove(id: number): Promise<void> {
      await q('DELETE FROM job_templates WHERE id = ?', [id]);
    },
  };
}

export type JobTemplateRepository = ReturnType<typeof createJobTemplateRepository>;
