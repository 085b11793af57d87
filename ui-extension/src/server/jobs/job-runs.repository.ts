import { Brackets } from 'typeorm';
import type { JobState } from '@common/jobs';
import { JobHostEntity } from './job-host.entity';
import { JobInvocationEntity } from './job-invocation.entity';
import { dbDate, INSERT_CHUNK, type JobTables } from './job-rows';

/**
 * Running jobs across instances: the job row's state and flags, the rollout batch one instance
 * claims and its gate, leases and their take-over, and the retention purge.
 */
export function createJobRuns(t: JobTables) {
  const { dataSource, jobs } = t;

  return {
    /** Updates job columns and bumps the version; with `whenState` only if the job is still in it, with `leaseOwner` only while that instance holds its lease. */
    async updateJob(id: number, fields: Partial<JobInvocationEntity>, now: Date, whenState?: JobState[], leaseOwner?: string): Promise<boolean> {
      const qb = jobs.createQueryBuilder().update().set({ ...fields, updatedAt: now, version: () => 'version + 1' } as never).where('id = :id', { id });
      if (whenState) qb.andWhere('state IN (:...states)', { states: whenState });
      if (leaseOwner !== undefined) qb.andWhere('lease_owner = :leaseOwner', { leaseOwner });
      const result = await qb.execute();
      return (result.affected ?? 0) > 0;
    },

    /**
     * Sends batch `batch` of a rollout: moves rollout_batch from batch - 1 to batch, only for the
     * lease owner, while the job runs, is not paused and not cancelled. One instance wins; false for
     * any other (or when a pause or cancel came first).
     */
    async claimBatch(id: number, batch: number, owner: string, fields: Partial<JobInvocationEntity>, now: Date): Promise<boolean> {
      const result = await jobs.createQueryBuilder().update().set({ ...fields, rolloutBatch: batch, updatedAt: now, version: () => 'version + 1' } as never)
        .where('id = :id AND state = :state AND rollout_batch = :before AND lease_owner = :owner AND paused = 0 AND cancel_requested = 0', { id, state: 'running', before: batch - 1, owner })
        .execute();
      return (result.affected ?? 0) > 0;
    },

    /** Stores the gate after batch `batch` (pause, canary wait, threshold) once; false when it already was. */
    async decideGate(id: number, batch: number, fields: Partial<JobInvocationEntity>, now: Date): Promise<boolean> {
      const result = await jobs.createQueryBuilder().update().set({ ...fields, rolloutBatchDone: batch, updatedAt: now, version: () => 'version + 1' } as never)
        .where('id = :id AND rollout_batch_done < :batch', { id, batch })
        .execute();
      return (result.affected ?? 0) > 0;
    },

    /**
     * Takes over unfinished jobs whose lease ran out (their instance died) or that nobody leased.
     * The conditional UPDATE is the claim: of two instances only one changes the row.
     */
    async claimOrphanedJobs(owner: string, now: Date, until: Date, runningHere: number[]): Promise<number[]> {
      // Our own lease counts as orphaned when we are not running the job: this instance restarted.
      const orphaned = (prefix: string) => new Brackets((w) => w.where(`${prefix}lease_expires_at IS NULL`).orWhere(`${prefix}lease_expires_at < :now`, { now: dbDate(now) }).orWhere(`${prefix}lease_owner = :owner`, { owner }));
      const candidates = await jobs.createQueryBuilder('job').select('job.id').where('job.state IN (:...states)', { states: ['queued', 'running'] }).andWhere(orphaned('job.')).getMany();
      const claimed: number[] = [];
      for (const { id } of candidates) {
        if (runningHere.includes(id)) continue;
        const result = await jobs.createQueryBuilder().update().set({ leaseOwner: owner, leaseExpiresAt: until })
          .where('id = :id AND state IN (:...states)', { id, states: ['queued', 'running'] }).andWhere(orphaned('')).execute();
        if ((result.affected ?? 0) > 0) claimed.push(id);
      }
      return claimed;
    },

    /**
     * Renews this instance's leases of `ids`; resolves those of them it no longer holds while they are
     * unfinished: another instance took them over (this one stalled past its lease), and this one must
     * stop running them. The affected rows only say that some lease was not renewed (and MariaDB counts
     * changed rows, not matched ones): which ones is read, on that rare path only.
     */
    async renewLeases(owner: string, ids: number[], until: Date): Promise<number[]> {
      if (ids.length === 0) return [];
      const renewed = await jobs.createQueryBuilder().update().set({ leaseExpiresAt: until }).where('id IN (:...ids) AND lease_owner = :owner', { ids, owner }).execute();
      if ((renewed.affected ?? 0) >= ids.length) return [];
      const lost = await jobs.createQueryBuilder('job').select('job.id')
        .where('job.id IN (:...ids) AND job.state IN (:...states)', { ids, states: ['queued', 'running'] })
        .andWhere(new Brackets((w) => w.where('job.lease_owner IS NULL').orWhere('job.lease_owner <> :owner', { owner })))
        .getMany();
      return lost.map((j) => j.id);
    },

    /** Deletes host rows of jobs that finished before the cutoff; the job rows keep their counts. */
    async purgeHostsFinishedBefore(cutoff: Date, now: Date): Promise<{ jobs: number; hosts: number }> {
      const old = await jobs.createQueryBuilder('job').select('job.id').where('job.finished_at < :cutoff AND job.hosts_purged_at IS NULL', { cutoff: dbDate(cutoff) }).getMany();
      let deleted = 0;
      for (let i = 0; i < old.length; i += INSERT_CHUNK) {
        const ids = old.slice(i, i + INSERT_CHUNK).map((j) => j.id);
        await dataSource.transaction(async (m) => {
          const res = await m.createQueryBuilder().delete().from(JobHostEntity).where('job_invocation_id IN (:...ids)', { ids }).execute();
          deleted += res.affected ?? 0;
          await m.createQueryBuilder().update(JobInvocationEntity).set({ hostsPurgedAt: now }).where('id IN (:...ids)', { ids }).execute();
        });
      }
      return { jobs: old.length, hosts: deleted };
    },
  };
}
