import { CreateUsers1763900000000 } from './1763900000000-CreateUsers';
import { CreateInventory1763900100000 } from './1763900100000-CreateInventory';
import { CreateJobTables1763900200000 } from './1763900200000-CreateJobTables';
import { CreateAuthorization1764200000000 } from './1764200000000-CreateAuthorization';
import { CreateSchedules1764300000000 } from './1764300000000-CreateSchedules';
import { CreateUserSessions1764400000000 } from './1764400000000-CreateUserSessions';
import { AddJobTargetingPql1764500000000 } from './1764500000000-AddJobTargetingPql';
import { CreateLoginThrottle1765100000000 } from './1765100000000-CreateLoginThrottle';
import { AddUserSessionCredentialStamp1765100100000 } from './1765100100000-AddUserSessionCredentialStamp';
import { ConvertTablesToUtf8mb41765200000000 } from './1765200000000-ConvertTablesToUtf8mb4';
import { CreateHealthProbes1765300000000 } from './1765300000000-CreateHealthProbes';
import { ConvertHealthProbesToUtf8mb41765300100000 } from './1765300100000-ConvertHealthProbesToUtf8mb4';
import { AddJobOwnerId1765400000000 } from './1765400000000-AddJobOwnerId';
import { BackfillJobOwnerId1765400100000 } from './1765400100000-BackfillJobOwnerId';
import { AddLateResultsAndWholeReasons1765500000000 } from './1765500000000-AddLateResultsAndWholeReasons';
import { CreateJobFactValues1765600000000 } from './1765600000000-CreateJobFactValues';
import { AddJobHostNameIndex1765600100000 } from './1765600100000-AddJobHostNameIndex';
import { AddFactSource1765700000000 } from './1765700000000-AddFactSource';
import { AddRolloutPolicy1765800000000 } from './1765800000000-AddRolloutPolicy';
import { CreateWebhooks1765819000000 } from './1765819000000-CreateWebhooks';
import { CreateJobTemplates1765819100000 } from './1765819100000-CreateJobTemplates';
import { AddJobFinishedAtIndex1765819200000 } from './1765819200000-AddJobFinishedAtIndex';
import { AllowJobHostsOutsideInventory1765819300000 } from './1765819300000-AllowJobHostsOutsideInventory';
import { AddForemanIds1765819500000 } from './1765819500000-AddForemanIds';
import { AddWebhookOccurrenceEvents1765819600000 } from './1765819600000-AddWebhookOccurrenceEvents';
import { AddJobHostPuppetDbReport1765819700000 } from './1765819700000-AddJobHostPuppetDbReport';
import { AddJobHostStateNameIndex1765819740000 } from './1765819740000-AddJobHostStateNameIndex';
import { AddJobHostReportAwaitedIndex1765819760000 } from './1765819760000-AddJobHostReportAwaitedIndex';
import { ReplaceJobHostReportAwaitedIndex1765819790000 } from './1765819790000-ReplaceJobHostReportAwaitedIndex';

/**
 * Every migration in order. Listed explicitly so tests, the CLI and the server run the same set.
 * A migration merged to main is released: never edit one, add a new one (STYLE.md §8).
 */
export const MIGRATIONS = [
  CreateUsers1763900000000,
  CreateInventory1763900100000,
  CreateJobTables1763900200000,
  CreateAuthorization1764200000000,
  CreateSchedules1764300000000,
  CreateUserSessions1764400000000,
  AddJobTargetingPql1764500000000,
  CreateLoginThrottle1765100000000,
  AddUserSessionCredentialStamp1765100100000,
  ConvertTablesToUtf8mb41765200000000,
  CreateHealthProbes1765300000000,
  ConvertHealthProbesToUtf8mb41765300100000,
  AddJobOwnerId1765400000000,
  BackfillJobOwnerId1765400100000,
  AddLateResultsAndWholeReasons1765500000000,
  CreateJobFactValues1765600000000,
  AddJobHostNameIndex1765600100000,
  AddFactSource1765700000000,
  AddRolloutPolicy1765800000000,
  CreateWebhooks1765819000000,
  CreateJobTemplates1765819100000,
  AddJobFinishedAtIndex1765819200000,
  AllowJobHostsOutsideInventory1765819300000,
  AddForemanIds1765819500000,
  AddWebhookOccurrenceEvents1765819600000,
  AddJobHostPuppetDbReport1765819700000,
  AddJobHostStateNameIndex1765819740000,
  AddJobHostReportAwaitedIndex1765819760000,
  ReplaceJobHostReportAwaitedIndex1765819790000,
];
