import { MigrationInterface, QueryRunner, Table, TableColumn, TableColumnOptions, TableIndex } from 'typeorm';

/**
 * Who may do what (issue #8): user details and taxonomies, roles with their filters (Foreman's
 * model: a filter holds permissions narrowed by a search), user-role assignments, personal access
 * tokens (stored as SHA-256 of a random secret, never the secret) and the append-only audit table.
 * Built-in roles are rows too, but the server writes them at start from auth/abilities.ts, so the
 * rules stay in one place; this migration holds schema only (STYLE.md §8).
 */
export class CreateAuthorization1764200000000 implements MigrationInterface {
  name = 'CreateAuthorization1764200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const mysql = queryRunner.connection.driver.options.type === 'mysql';
    const id: TableColumnOptions = { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' };
    const stamps: TableColumnOptions[] = [
      { name: 'created_at', type: 'datetime', precision: 3 },
      { name: 'updated_at', type: 'datetime', precision: 3 },
    ];

    await queryRunner.addColumns('users', [
      new TableColumn({ name: 'mail', type: 'varchar', length: '255', isNullable: true }),
      new TableColumn({ name: 'firstname', type: 'varchar', length: '100', isNullable: true }),
      new TableColumn({ name: 'lastname', type: 'varchar', length: '100', isNullable: true }),
      new TableColumn({ name: 'disabled', type: 'boolean', default: false }),
    ]);

    await queryRunner.createTable(new Table({
      name: 'roles',
      columns: [
        id,
        { name: 'name', type: 'varchar', length: '100' },
        { name: 'description', type: 'varchar', length: '255', isNullable: true },
        { name: 'builtin', type: 'boolean', default: false },
        { name: 'cloned_from_id', type: 'integer', isNullable: true },
        ...stamps,
      ],
      indices: [new TableIndex({ name: 'uq_roles_name', columnNames: ['name'], isUnique: true })],
    }));

    await queryRunner.createTable(new Table({
      name: 'filters',
      columns: [
        id,
        { name: 'role_id', type: 'integer' },
        // JSON list of permission names; a filter is small and always read whole with its role.
        { name: 'permissions', type: 'varchar', length: '1000' },
        { name: 'search', type: 'varchar', length: '2000', isNullable: true },
        ...stamps,
      ],
      foreignKeys: [{ name: 'fk_filters_role', columnNames: ['role_id'], referencedTableName: 'roles', referencedColumnNames: ['id'], onDelete: 'CASCADE' }],
      indices: [new TableIndex({ name: 'idx_filters_role', columnNames: ['role_id'] })],
    }));

    await queryRunner.createTable(new Table({
      name: 'user_roles',
      columns: [
        { name: 'user_id', type: 'integer', isPrimary: true },
        { name: 'role_id', type: 'integer', isPrimary: true },
      ],
      foreignKeys: [
        { name: 'fk_user_roles_user', columnNames: ['user_id'], referencedTableName: 'users', referencedColumnNames: ['id'], onDelete: 'CASCADE' },
        { name: 'fk_user_roles_role', columnNames: ['role_id'], referencedTableName: 'roles', referencedColumnNames: ['id'], onDelete: 'CASCADE' },
      ],
      indices: [new TableIndex({ name: 'idx_user_roles_role', columnNames: ['role_id'] })],
    }));

    for (const [table, column, target] of [['user_organizations', 'organization_id', 'organizations'], ['user_locations', 'location_id', 'locations']] as const) {
      await queryRunner.createTable(new Table({
        name: table,
        columns: [
          { name: 'user_id', type: 'integer', isPrimary: true },
          { name: column, type: 'integer', isPrimary: true },
        ],
        foreignKeys: [
          { name: `fk_${table}_user`, columnNames: ['user_id'], referencedTableName: 'users', referencedColumnNames: ['id'], onDelete: 'CASCADE' },
          { name: `fk_${table}_${column}`, columnNames: [column], referencedTableName: target, referencedColumnNames: ['id'], onDelete: 'CASCADE' },
        ],
        indices: [new TableIndex({ name: `idx_${table}_${column}`, columnNames: [column] })],
      }));
    }

    await queryRunner.createTable(new Table({
      name: 'personal_access_tokens',
      columns: [
        id,
        { name: 'user_id', type: 'integer' },
        { name: 'name', type: 'varchar', length: '100' },
        // SHA-256 hex of the token; the token itself is shown once and never stored.
        { name: 'token_hash', type: 'varchar', length: '64' },
        { name: 'expires_at', type: 'datetime', precision: 3, isNullable: true },
        { name: 'last_used_at', type: 'datetime', precision: 3, isNullable: true },
        { name: 'revoked', type: 'boolean', default: false },
        ...stamps,
      ],
      foreignKeys: [{ name: 'fk_personal_access_tokens_user', columnNames: ['user_id'], referencedTableName: 'users', referencedColumnNames: ['id'], onDelete: 'CASCADE' }],
      indices: [
        new TableIndex({ name: 'uq_personal_access_tokens_hash', columnNames: ['token_hash'], isUnique: true }),
        new TableIndex({ name: 'idx_personal_access_tokens_user', columnNames: ['user_id'] }),
      ],
    }));

    await queryRunner.createTable(new Table({
      name: 'audits',
      columns: [
        id,
        { name: 'created_at', type: 'datetime', precision: 3 },
        // No foreign key: the entry outlives its user, and keeps the login it had.
        { name: 'user_id', type: 'integer', isNullable: true },
        { name: 'user_login', type: 'varchar', length: '100', isNullable: true },
        { name: 'action', type: 'varchar', length: '50' },
        { name: 'auditable_type', type: 'varchar', length: '50' },
        { name: 'auditable_id', type: 'integer', isNullable: true },
        { name: 'auditable_name', type: 'varchar', length: '255', isNullable: true },
        { name: 'audited_changes', type: 'text', isNullable: true },
        { name: 'remote_address', type: 'varchar', length: '100', isNullable: true },
        { name: 'request_uuid', type: 'varchar', length: '128', isNullable: true },
      ],
      indices: [
        new TableIndex({ name: 'idx_audits_created_at', columnNames: ['created_at'] }),
        new TableIndex({ name: 'idx_audits_user', columnNames: ['user_id'] }),
        new TableIndex({ name: 'idx_audits_auditable', columnNames: ['auditable_type', 'auditable_id'] }),
      ],
    }));

    // Append-only in the database itself, not only in the code: an UPDATE or DELETE fails.
    if (mysql) {
      for (const event of ['UPDATE', 'DELETE']) {
        await queryRunner.query(`CREATE TRIGGER trg_audits_no_${event.toLowerCase()} BEFORE ${event} ON audits FOR EACH ROW SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'audits are append-only'`);
      }
    } else {
      for (const event of ['UPDATE', 'DELETE']) {
        await queryRunner.query(`CREATE TRIGGER trg_audits_no_${event.toLowerCase()} BEFORE ${event} ON audits BEGIN SELECT RAISE(ABORT, 'audits are append-only'); END`);
      }
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // Dropping the table drops its triggers on both databases. Reverting loses the audit trail,
    // which is what reverting this migration means.
    for (const table of ['audits', 'personal_access_tokens', 'user_locations', 'user_organizations', 'user_roles', 'filters', 'roles']) {
      await queryRunner.dropTable(table);
    }
    for (const column of ['disabled', 'lastname', 'firstname', 'mail']) {
      await queryRunner.dropColumn('users', column);
    }
  }
}
