import { CreateUsers1763900000000 } from './1763900000000-CreateUsers';
import { CreateInventory1763900100000 } from './1763900100000-CreateInventory';
import { CreateJobTables1763900200000 } from './1763900200000-CreateJobTables';
import { CreateAuthorization1764200000000 } from './1764200000000-CreateAuthorization';
import { CreateSchedules1764300000000 } from './1764300000000-CreateSchedules';
import { CreateUserSessions1764400000000 } from './1764400000000-CreateUserSessions';
import { AddJobTargetingPql1764500000000 } from './1764500000000-AddJobTargetingPql';
import { AddLateResultsAndWholeReasons1765500000000 } from './1765500000000-AddLateResultsAndWholeReasons';

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
  AddLateResultsAndWholeReasons1765500000000,
];
