import { describeDatabaseFailure } from '@server/status/database-health';

/** A driver error as mysql2 (through TypeORM) raises it: a code, and a message with the details. */
const driverError = (code: string, message: string) => Object.assign(new Error(message), { code });

/**
 * The public GET /api/v2/status names a database failure by its kind only (issue #24): driver
 * messages carry the address, host names, the database and the user.
 */
describe(describeDatabaseFailure.name, () => {
  it.each([
    [driverError('ECONNREFUSED', 'connect ECONNREFUSED 10.0.4.7:3306'), 'connection refused'],
    [driverError('ENOTFOUND', 'getaddrinfo ENOTFOUND db.internal.example.com'), 'host name not resolved'],
    [driverError('EHOSTUNREACH', 'connect EHOSTUNREACH 10.0.4.7:3306'), 'host unreachable'],
    [driverError('ER_ACCESS_DENIED_ERROR', "Access denied for user 'rex'@'10.0.4.9' (using password: YES)"), 'access denied'],
    [driverError('ER_DBACCESS_DENIED_ERROR', "Access denied for user 'rex'@'10.0.4.9' to database 'rex_production'"), 'access denied'],
    [driverError('ER_BAD_DB_ERROR', "Unknown database 'rex_production'"), 'unknown database'],
    [driverError('PROTOCOL_CONNECTION_LOST', 'Connection lost: The server closed the connection.'), 'connection lost'],
    [Object.assign(new Error('QueryFailedError'), { driverError: { code: 'ETIMEDOUT' } }), 'connection timed out'],
    [driverError('ER_SOMETHING_NEW', "table 'rex.secret_table' at 10.0.4.7"), 'unavailable (ER_SOMETHING_NEW)'],
    [new Error('connect to mysql://rex:pw@10.0.4.7:3306/rex failed'), 'unavailable'],
  ])('says only the kind of %s', (error, said) => {
    expect(describeDatabaseFailure(error)).toBe(said);
    for (const secret of ['10.0.4', 'db.internal', "'rex'", 'rex_production', 'secret_table', 'pw@']) expect(describeDatabaseFailure(error)).not.toContain(secret);
  });

  it('keeps a code that is not a plain constant out of the answer', () => {
    expect(describeDatabaseFailure(driverError('host 10.0.4.7', 'x'))).toBe('unavailable');
  });
});
