import type { EntityManager } from 'typeorm';
import type { SqlDialect } from '../search/compiler';

/** Either a DataSource's manager or a transaction's; repositories accept both. */
export type Db = EntityManager;

/** Rows per multi-row statement: 500 rows x ~10 columns stays far below both databases' parameter limits. */
export const BATCH_ROWS = 500;

export function dialectOf(db: Db): SqlDialect {
  return db.connection.driver.options.type === 'mysql' ? 'mysql' : 'sqlite';
}

export function chunks<T>(items: readonly T[], size = BATCH_ROWS): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Reads a DATETIME from a raw query: mysql2 returns a Date (the pool runs in UTC), better-sqlite3
 * the text TypeORM wrote, `YYYY-MM-DD HH:MM:SS.SSS` in UTC.
 */
export function readDate(value: unknown): Date | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value;
  const text = String(value);
  return new Date(text.includes('T') ? text : `${text.replace(' ', 'T')}Z`);
}

export function isoOrNull(value: unknown): string | null {
  return readDate(value)?.toISOString() ?? null;
}

/**
 * One multi-row INSERT that updates `update` columns when a row with the same unique key exists.
 * MySQL's ON DUPLICATE KEY and SQLite's ON CONFLICT need the conflict target spelled differently.
 */
export async function upsertRows(db: Db, table: string, columns: string[], rows: unknown[][], conflict: string[], update: string[]): Promise<void> {
  const dialect = dialectOf(db);
  for (const batch of chunks(rows)) {
    if (batch.length === 0) continue;
    const values = batch.map((row) => `(${row.map(() => '?').join(', ')})`).join(', ');
    let sql = `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${values}`;
    if (update.length > 0) {
      sql += dialect === 'mysql'
        ? ` ON DUPLICATE KEY UPDATE ${update.map((c) => `${c} = VALUES(${c})`).join(', ')}`
        : ` ON CONFLICT (${conflict.join(', ')}) DO UPDATE SET ${update.map((c) => `${c} = excluded.${c}`).join(', ')}`;
    }
    await db.query(sql, batch.flat());
  }
}

/** Plain multi-row INSERT in batches. */
export async function insertRows(db: Db, table: string, columns: string[], rows: unknown[][]): Promise<void> {
  await upsertRows(db, table, columns, rows, [], []);
}

/** `?, ?, ?` for an IN list. */
export const placeholders = (n: number): string => Array.from({ length: n }, () => '?').join(', ');
