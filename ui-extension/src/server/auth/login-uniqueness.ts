import { AppError } from '../errors';
import type { UserRepository } from './user.repository';

/**
 * Refuses a login another user holds, compared without case, as Foreman does: MariaDB's collation
 * compared logins so and SQLite's index did not, so `ADMIN` beside `admin` was refused on one and
 * taken on the other (a look-alike owner in audits and lists). `self`: the user being renamed, who
 * may change the case of its own login.
 */
export async function requireLoginFree(users: Pick<UserRepository, 'findByLoginIgnoringCase'>, login: string, self?: number): Promise<void> {
  const taken = await users.findByLoginIgnoringCase(login);
  if (!taken || taken.id === self) return;
  const as = taken.login === login ? '' : ` (as '${taken.login}': logins must differ by more than case)`;
  throw new AppError('ALREADY_EXISTS', `login: '${login}' is already taken${as}`, { details: { fields: [{ field: 'login', rule: 'unique, without case' }] } });
}
