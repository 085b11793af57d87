/**
 * Which database errors mean "out of space" (507) and which "unavailable" (503, a running job
 * resumes later): the codes the drivers put on their errors, also when TypeORM wraps them.
 */
import { AppError, DATABASE_CONNECTION_STUCK, isDatabaseFull, isDatabaseUnavailable, isLockConflict } from '@server/errors';

const driverError = (fields: Record<string, unknown>, message = 'driver error') => Object.assign(new Error(message), fields);
const wrapped = (driver: Error) => Object.assign(new Error(driver.message), { driverError: driver });

describe(isDatabaseFull.name, () => {
  it.each([
    ['SQLite SQLITE_FULL', driverError({ code: 'SQLITE_FULL' }, 'database or disk is full')],
    ['node ENOSPC', driverError({ code: 'ENOSPC', errno: -28 }, 'ENOSPC: no space left on device, write')],
    ['MariaDB 1114 ER_RECORD_FILE_FULL', driverError({ code: 'ER_RECORD_FILE_FULL', errno: 1114 }, "The table 'audits' is full")],
    ['MariaDB 1021 ER_DISK_FULL', driverError({ code: 'ER_DISK_FULL', errno: 1021 }, 'Disk full (/var/tmp/#sql_1.MAI); waiting for someone to free some space...')],
    ['MariaDB OS error 28 in another error', driverError({ code: 'ER_ERROR_ON_WRITE', errno: 3 }, "Error writing file './rex/job_invocation_hosts.ibd' (Errcode: 28 \"No space left on device\")")],
    ['a wrapped SQLITE_FULL', wrapped(driverError({ code: 'SQLITE_FULL' }, 'database or disk is full'))],
  ])('is true for %s, which also counts as unavailable', (_name, error) => {
    expect(isDatabaseFull(error)).toBe(true);
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it.each([
    ['a constraint violation', driverError({ code: 'SQLITE_CONSTRAINT_UNIQUE' }, 'UNIQUE constraint failed: users.login')],
    ['a lost connection', driverError({ code: 'PROTOCOL_CONNECTION_LOST' })],
    ['an AppError', new AppError('RESOURCE_EXHAUSTED', 'too many jobs')],
  ])('is false for %s', (_name, error) => {
    expect(isDatabaseFull(error)).toBe(false);
  });
});

describe(isDatabaseUnavailable.name, () => {
  it.each(['SQLITE_BUSY', 'SQLITE_IOERR_WRITE', 'SQLITE_READONLY_DBMOVED', 'SQLITE_CANTOPEN', 'ECONNREFUSED', 'PROTOCOL_CONNECTION_LOST', DATABASE_CONNECTION_STUCK])('is true for %s', (code) => {
    expect(isDatabaseUnavailable(driverError({ code }))).toBe(true);
    expect(isDatabaseUnavailable(wrapped(driverError({ code })))).toBe(true);
  });

  it.each(['SQLITE_CONSTRAINT_FOREIGNKEY', 'ER_DUP_ENTRY', 'ER_PARSE_ERROR'])('is false for %s (a retry does not help)', (code) => {
    expect(isDatabaseUnavailable(driverError({ code }))).toBe(false);
  });
});

describe(isLockConflict.name, () => {
  it.each(['ER_LOCK_DEADLOCK', 'ER_LOCK_WAIT_TIMEOUT', 'SQLITE_BUSY', 'SQLITE_BUSY_SNAPSHOT'])('is true for %s, also when TypeORM wraps it', (code) => {
    expect(isLockConflict(driverError({ code }))).toBe(true);
    expect(isLockConflict(wrapped(driverError({ code })))).toBe(true);
  });

  it.each([
    ['a duplicate key', driverError({ code: 'ER_DUP_ENTRY', errno: 1062 })],
    ['a lost connection', driverError({ code: 'PROTOCOL_CONNECTION_LOST' })],
    ['an error without a code', new Error('hosts changed while being admitted')],
    ['an AppError', new AppError('UNAVAILABLE', 'database unavailable')],
  ])('is false for %s (nothing says a retry would write it)', (_name, error) => {
    expect(isLockConflict(error)).toBe(false);
  });
});
