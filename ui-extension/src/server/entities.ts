import { AuditEntity } from './audit/audit.entity';
import { PersonalAccessTokenEntity } from './auth/personal-access-token.entity';
import { FilterEntity, RoleEntity } from './auth/role.entity';
import { UserEntity } from './auth/user.entity';
import { UserSessionEntity } from './auth/user-session.entity';
import { FactEntity } from './inventory/fact.entity';
import { HostEntity } from './inventory/host.entity';
import { HostgroupEntity } from './inventory/hostgroup.entity';
import { SmartProxyEntity } from './inventory/smart-proxy.entity';
import { LocationEntity, OrganizationEntity } from './inventory/taxonomy.entity';
import { JobFactNameEntity } from './jobs/job-fact-name.entity';
import { JobFactValueEntity } from './jobs/job-fact-value.entity';
import { JobHostEntity } from './jobs/job-host.entity';
import { JobInvocationEntity } from './jobs/job-invocation.entity';
import { JobProxyStreamEntity } from './jobs/job-proxy-stream.entity';
import { RemoteActionEntity } from './jobs/remote-action.entity';
import { ScheduleRunEntity } from './scheduler/schedule-run.entity';
import { ScheduleEntity } from './scheduler/schedule.entity';

/**
 * Every TypeORM entity of the ui-extension. Listed explicitly (not globbed) so that jest, tsc
 * output and the all-in-one start load exactly the same classes. Each feature adds its own.
 */
export const ENTITIES = [
  UserEntity,
  UserSessionEntity,
  OrganizationEntity,
  LocationEntity,
  HostgroupEntity,
  SmartProxyEntity,
  HostEntity,
  FactEntity,
  RemoteActionEntity,
  JobInvocationEntity,
  JobHostEntity,
  JobProxyStreamEntity,
  JobFactNameEntity,
  JobFactValueEntity,
  RoleEntity,
  FilterEntity,
  PersonalAccessTokenEntity,
  AuditEntity,
  ScheduleEntity,
  ScheduleRunEntity,
];
