import { FINAL_JOB_STATES, type AggregateResult, type Job, type JobHost, type PuppetDbRunReport, type StoredTargeting } from '@common/jobs';
import type { DdlAction__Output } from '@protos/generated/rex/proxy/v1/DdlAction';
import { parseExact } from '@protos/json-numbers';
import { progressOf } from './host-states';
import type { JobHostEntity } from './job-host.entity';
import type { JobInvocationEntity } from './job-invocation.entity';
import { countsOf } from './job-invocation.repository';
import { factNamesOfSearch } from './job-search';
import { shapeOutput, withDisplayNames } from './output-shaping';
import type { RemoteActionEntity } from './remote-action.entity';
import { parseStoredPolicy, progressOfRollout } from './rollout-policy';

export const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);

export function storedTargeting(job: JobInvocationEntity, factNames: string[] = factNamesOfSearch(job.targetingSearch)): StoredTargeting {
  return {
    search: job.targetingSearch,
    host_ids: job.targetingHostIds ? (JSON.parse(job.targetingHostIds) as number[]) : null,
    hostgroup_id: job.targetingHostgroupId,
    pql: job.targetingPql,
    fact_names: factNames,
  };
}

/** A job row and its remote action as the REST API shows them (@common/jobs Job). */
export function toJob(job: JobInvocationEntity, action: RemoteActionEntity): Job {
  const counts = countsOf(job);
  return {
    id: job.id,
    state: job.state,
    version: job.version,
    progress: progressOf(counts, FINAL_JOB_STATES.includes(job.state)),
    counts,
    late_results: job.countLate,
    total_hosts: job.totalHosts,
    remote_action_id: job.remoteActionId,
    parent_id: job.parentId,
    namespace: action.namespace,
    action: action.action,
    arguments: parseExact(action.arguments) as Record<string, unknown>,
    targeting: storedTargeting(job),
    description: job.description,
    owner: job.owner,
    concurrency_level: job.concurrencyLevel,
    batch_size: job.batchSize,
    timeout: job.timeoutS,
    rollout: parseStoredPolicy(job.rolloutPolicy),
    rollout_progress: progressOfRollout(job, counts),
    aggregates: job.aggregates ? withDisplayNames(parseExact(job.aggregates) as AggregateResult[], job.ddl) : null,
    created_at: job.createdAt.toISOString(),
    started_at: iso(job.startedAt),
    finished_at: iso(job.finishedAt),
    deadline_at: iso(job.deadlineAt),
    updated_at: job.updatedAt.toISOString(),
    schedule_id: job.scheduleId,
    scheduled_at: iso(job.scheduledAt),
  };
}

/** A host row of a job as the REST API shows it, its output shaped by the action's DDL. */
export function toJobHost(row: JobHostEntity, ddl: DdlAction__Output): JobHost {
  // Exact numbers (issue 26): the routes write them back as the node sent them (http/exact-json.ts).
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
    puppetdb_report: row.puppetdbReport ? (JSON.parse(row.puppetdbReport) as PuppetDbRunReport) : null,
  };
}
