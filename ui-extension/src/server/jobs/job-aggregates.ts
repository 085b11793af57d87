import type { AggregateResult, HostCounts } from '@common/jobs';
import type { DdlAction__Output } from '@protos/generated/rex/proxy/v1/DdlAction';
import { parseExact } from '@protos/json-numbers';
import { computeAggregates } from './output-shaping';
import { puppetRunAggregates } from './puppet-run-outcome';

/** Where a finished job's stored replies are read from (job-results.repository.ts). */
export interface StoredReplies {
  succeededData(jobId: number): Promise<string[]>;
  repliedData(jobId: number): Promise<string[]>;
}

/**
 * The aggregates a finished job keeps: the DDL's (over the succeeded hosts' replies, as mco rpc
 * summarises them) and, for a Puppet run, the tally of run outcomes (over every host that replied).
 */
export async function finalAggregates(jobId: number, namespace: string, action: Pick<DdlAction__Output, 'name' | 'aggregates'>, counts: HostCounts, replies: StoredReplies): Promise<AggregateResult[]> {
  const ddl = action.aggregates?.length ? computeAggregates(action, (await replies.succeededData(jobId)).map((d) => parseExact(d) as Record<string, unknown>)) : [];
  return [...ddl, ...(await puppetRunAggregates(namespace, action.name, counts, () => replies.repliedData(jobId)))];
}
