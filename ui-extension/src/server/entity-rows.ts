import type { EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';

/**
 * An entity from a row a plain SELECT read, each column converted by the driver exactly as TypeORM's
 * `findOne` converts it (`prepareHydratedValue`: dates, booleans, transformers). `findOne` costs about
 * three times the plain statement in CPU (building and aliasing the query, then mapping the result):
 * on a long poll's path, answered once per committed result batch, that was the largest part (issue #20).
 * `prefix` picks the columns of one table of a join, selected as `<prefix><column>`.
 */
export function entityOfRow<T extends ObjectLiteral>(db: EntityManager, target: EntityTarget<T>, row: Record<string, unknown>, prefix = ''): T {
  const metadata = db.connection.getMetadata(target);
  const entity = metadata.create(undefined, { fromDeserializer: true }) as T;
  for (const column of metadata.columns) {
    const value = row[`${prefix}${column.databaseName}`];
    if (value !== undefined) column.setEntityValue(entity, db.connection.driver.prepareHydratedValue(value, column));
  }
  return entity;
}

/** The entity of the row with this id, read by one plain SELECT (see `entityOfRow`); null as `findOne`. */
export async function findEntityById<T extends ObjectLiteral>(db: EntityManager, target: EntityTarget<T>, id: number): Promise<T | null> {
  const rows = (await db.query(`SELECT * FROM ${db.connection.getMetadata(target).tableName} WHERE id = ?`, [id])) as Array<Record<string, unknown>>;
  return rows.length > 0 ? entityOfRow(db, target, rows[0]) : null;
}
