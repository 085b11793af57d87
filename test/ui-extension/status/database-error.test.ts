import { publicDatabaseError } from '@server/status/database-error';

/** A driver error as mysql2 (through TypeORM) raises it: a code, and a message with the details. */
const driverError = (code: string, message: string) => Object.assign(new Error(message), { code });

describe(publicDatabaseError.name, () => {
  it.each([
    [driverError('ECONNREFUSED', 'connect ECONNREFUSED 10.0.4.7:3306'), 'connection refused (ECONNREFUSED)'],
    [driverError('ENOTFOUND', 'getaddrinfo ENOTFOUND db.internal.example.com'), 'database host name not resolved (ENOTFOUND)'],
    [driverError('ER_ACCESS_DENIED_ERROR', "Access denied for user 'rex'@'10.0.4.9' (using password: YES)"), 'access denied (ER_ACCESS_DENIED_ERROR)'],
    [driverError('ER_BAD_DB_ERROR', "Unknown database 'rex_production'"), 'unknown database (ER_BAD_DB_ERROR)'],
    [driverError('PROTOCOL_CONNECTION_LOST', 'Connection lost: The server closed the connection.'), 'connection lost (PROTOCOL_CONNECTION_LOST)'],
    [Object.assign(new Error('QueryFailedError'), { driverError: { code: 'ETIMEDOUT' } }), 'no connection in time (ETIMEDOUT)'],
    [driverError('ER_SOMETHING_NEW', "table 'rex.secret_table' at 10.0.4.7"), 'database error ER_SOMETHING_NEW'],
    [new Error('connect to mysql://rex:pw@10.0.4.7:3306/rex failed'), 'database unreachable'],
    [new Error('no answer within 2000 ms'), 'no answer within 2000 ms'],
  ])('says only the kind of %s', (error, said) => {
    expect(publicDatabaseError(error)).toBe(said);
    for (const secret of ['10.0.4', 'db.internal', "'rex'", 'rex_production', 'secret_table', 'pw@']) expect(publicDatabaseError(error)).not.toContain(secret);
  });

  it('keeps a code that is not a plain constant out of the answer', () => {
    expect(publicDatabaseError(driverError('host 10.0.4.7', 'x'))).toBe('database unreachable');
  });
});
