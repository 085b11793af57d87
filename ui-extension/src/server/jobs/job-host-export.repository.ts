import { Brackets, type DataSource } from 'typeorm';
import type { HostState } from '@common/jobs';
import { named, type Sql } from '../auth/scope-sql';
import { JobHostEntity } from './job-host.entity';

/**
 * Reads a job's hosts for an export in batches, walking (host_name, id) from where the last batch
 * ended: each batch is an index range scan of `idx_job_invocation_hosts_job_name`, so the 100th
 * batch costs what the first did (an OFFSET would read every row before it again), and only one
 * batch is in memory at a time.
 */
export function createJobHostExportRepository(dataSource: DataSource) {
  const hosts = dataSource.getRepository(JobHostEntity);
  return {
    async ddlOf(jobId: number): Promise<string | null> {
      const rows = (await dataSource.query('SELECT ddl FROM job_invocations WHERE id = ?', [jobId])) as Array<{ ddl: string }>;
      return rows[0]?.ddl ?? null;
    },

    async *batches(jobId: number, query: { states?: HostState[]; search?: Sql }, batchSize = 500): AsyncGenerator<JobHostEntity[]> {
      let after: { name: string; id: number } | undefined;
      for (;;) {
        const qb = hosts.createQueryBuilder('jh').where('jh.job_invocation_id = :jobId', { jobId });
        if (query.states && query.states.length > 0) qb.andWhere('jh.state IN (:...states)', { states: query.states });
        if (query.search) {
          const search = named(query.search, 'q');
          qb.andWhere(search.sql, search.params);
        }
        if (after) {
          const { name, id } = after;
          qb.andWhere(new Brackets((w) => w.where('jh.host_name > :afterName', { afterName: name }).orWhere('jh.host_name = :afterName AND jh.id > :afterId', { afterId: id })));
        }
        const batch = await qb.orderBy('jh.host_name', 'ASC').addOrderBy('jh.id', 'ASC').take(batchSize).getMany();
        if (batch.length === 0) return;
        yield batch;
        if (batch.length < batchSize) return;
        const last = batch[batch.length - 1];
        after = { name: last.hostName, id: last.id };
      }
    },
  };
}

export type JobHostExportRepository = ReturnType<typeof createJobHostExportRepository>;
