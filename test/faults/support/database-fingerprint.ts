/**
 * A fingerprint of a test stack's database that any write changes, to prove a refused request
 * wrote nothing: the contents of every table (SQLite: every row read and hashed; MariaDB:
 * `CHECKSUM TABLE`, computed live), and a CRC of every row of `audits`, leaving out the
 * authentication bookkeeping below.
 */
import { createHash } from 'node:crypto';
import type { AuthStack } from '../../ui-extension/auth/support/auth-stack';

/**
 * Logins and refusals are audited on purpose (`login`, `login_failed`, `login_blocked` and `denied`
 * rows in `audits`): the first request of a persona, a wrong password sent to POST /session, and
 * a 403 write such a row even though the request is refused. Those rows are the one write a
 * refusal may cause; the fingerprint leaves them out and covers everything else. Whoever relies on
 * a 403 being audited checks for its row itself (`deniedCount`; the authorization matrix does).
 */
const LOGIN_AUDITS = "action IN ('login', 'login_failed', 'login_blocked', 'denied')";

/**
 * The login throttle's counters (auth/login-throttle.ts): every check of a password counts an
 * attempt before bcrypt runs and gives it back when it succeeds, so authenticating a request writes
 * them whatever the request then does (a persona's cached credentials expire after 60 s). That is
 * authentication, before the route refuses anything; the fingerprint leaves the table out.
 */
const AUTH_BOOKKEEPING_TABLES = new Set(['login_throttle']);

/** A fingerprint of the whole database that any write changes (see the file header for what it compares). */
export function databaseFingerprint(s: AuthStack): () => Promise<string> {
  const ds = s.db.dataSource;
  if (s.db.kind === 'sqlite') {
    let tables: string[] | undefined;
    return async () => {
      tables ??= ((await ds.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")) as Array<{ name: string }>)
        .map((r) => r.name).filter((t) => !AUTH_BOOKKEEPING_TABLES.has(t));
      const hash = createHash('sha1');
      for (const table of tables) {
        const rows = (await ds.query(`SELECT * FROM "${table}"${table === 'audits' ? ` WHERE NOT (${LOGIN_AUDITS})` : ''} ORDER BY rowid`)) as unknown[];
        hash.update(`${table}:${JSON.stringify(rows)};`);
      }
      return hash.digest('hex');
    };
  }
  let tables: string[] | undefined;
  let auditRow: string | undefined;
  return async () => {
    if (!tables || !auditRow) {
      tables = ((await ds.query('SHOW TABLES')) as Array<Record<string, string>>).map((row) => Object.values(row)[0]).filter((t) => t !== 'audits' && !AUTH_BOOKKEEPING_TABLES.has(t));
      const columns = ((await ds.query("SELECT column_name AS c FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = 'audits' ORDER BY ordinal_position")) as Array<{ c: string }>).map((r) => `\`${r.c}\``);
      // CONCAT_WS skips NULLs, so each value is tagged with whether it is NULL.
      auditRow = `CONCAT_WS('|', ${columns.map((c) => `ISNULL(${c}), ${c}`).join(', ')})`;
    }
    const rows = (await ds.query(`CHECKSUM TABLE ${tables.map((t) => `\`${t}\``).join(', ')}`)) as Array<{ Table: string; Checksum: string | number | null }>;
    const [audits] = (await ds.query(`SELECT COUNT(*) AS n, BIT_XOR(CRC32(${auditRow})) AS x FROM audits WHERE NOT (${LOGIN_AUDITS})`)) as Array<{ n: number | string; x: number | string }>;
    return `${rows.map((r) => `${r.Table}=${r.Checksum}`).join(';')};audits=${audits.n}/${audits.x}`;
  };
}

/**
 * How many refusals of `login` on `route` (`POST /api/v2/users`) the audit trail counts, the
 * refusals of this minute still counted in memory written first (`denied` entries carry a count).
 */
export async function deniedCount(s: AuthStack, login: string, route: string): Promise<number> {
  await s.services.denials.flush(true);
  const rows = (await s.db.dataSource.query("SELECT audited_changes AS c FROM audits WHERE action = 'denied' AND user_login = ? AND auditable_name = ?", [login, route])) as Array<{ c: string }>;
  return rows.reduce((n, r) => n + Number((JSON.parse(r.c) as { count?: number }).count ?? 0), 0);
}

/** Waits until two fingerprints 100 ms apart agree: no job or reply still writing. */
export async function settle(fingerprint: () => Promise<string>): Promise<string> {
  let last = await fingerprint();
  const until = Date.now() + 15_000;
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const now = await fingerprint();
    if (now === last) return now;
    if (Date.now() > until) throw new Error('the database kept changing for 15 s after a request');
    last = now;
  }
}


/** Runs `action` once the database is settled and expects it to have written nothing; resolves what `action` did. */
export async function expectNoWrite<T>(fingerprint: () => Promise<string>, action: () => Promise<T>): Promise<T> {
  const before = await settle(fingerprint);
  const result = await action();
  expect(await fingerprint()).toBe(before);
  return result;
}
