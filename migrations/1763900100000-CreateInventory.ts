import { MigrationInterface, QueryRunner, Table, TableColumnOptions, TableIndex } from 'typeorm';

/**
 * Organizations, locations, hostgroups, smart proxies, hosts and facts (issue #3).
 * Names compare case-insensitively on both databases: MySQL through the utf8mb4_unicode_ci
 * collation, SQLite through COLLATE NOCASE, so a search finds the same hosts on either.
 */
export class CreateInventory1763900100000 implements MigrationInterface {
  name = 'CreateInventory1763900100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const sqlite = queryRunner.connection.driver.options.type !== 'mysql';
    const text = (name: string, length: number, extra: Partial<TableColumnOptions> = {}): TableColumnOptions =>
      ({ name, type: 'varchar', length: String(length), ...(sqlite ? { collation: 'NOCASE' } : {}), ...extra });
    const id: TableColumnOptions = { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' };
    const stamps: TableColumnOptions[] = [
      { name: 'created_at', type: 'datetime', precision: 3 },
      { name: 'updated_at', type: 'datetime', precision: 3 },
    ];

    for (const taxonomy of ['organizations', 'locations']) {
      await queryRunner.createTable(new Table({
        name: taxonomy,
        columns: [id, text('name', 191), ...stamps],
        indices: [new TableIndex({ name: `uq_${taxonomy}_name`, columnNames: ['name'], isUnique: true })],
      }));
    }

    await queryRunner.createTable(new Table({
      name: 'hostgroups',
      columns: [
        id,
        text('name', 191),
        { name: 'parent_id', type: 'integer', isNullable: true },
        { name: 'ancestry', type: 'varchar', length: '255', isNullable: true },
        text('title', 255),
        ...stamps,
      ],
      // A parent with children cannot go: that would orphan the ancestry strings below it.
      foreignKeys: [{ name: 'fk_hostgroups_parent', columnNames: ['parent_id'], referencedTableName: 'hostgroups', referencedColumnNames: ['id'], onDelete: 'RESTRICT' }],
      indices: [
        new TableIndex({ name: 'uq_hostgroups_title', columnNames: ['title'], isUnique: true }),
        new TableIndex({ name: 'idx_hostgroups_parent', columnNames: ['parent_id'] }),
      ],
    }));

    await queryRunner.createTable(new Table({
      name: 'smart_proxies',
      columns: [
        id,
        text('name', 191),
        { name: 'url', type: 'varchar', length: '255' },
        { name: 'features', type: 'text' },
        { name: 'capabilities', type: 'text' },
        { name: 'transport', type: 'varchar', length: '32', isNullable: true },
        { name: 'status', type: 'varchar', length: '16', default: "'unknown'" },
        { name: 'last_seen_at', type: 'datetime', precision: 3, isNullable: true },
        { name: 'demo', type: 'boolean', default: false },
        { name: 'version', type: 'varchar', length: '64', isNullable: true },
        ...stamps,
      ],
      indices: [new TableIndex({ name: 'uq_smart_proxies_name', columnNames: ['name'], isUnique: true })],
    }));

    await queryRunner.createTable(new Table({
      name: 'hosts',
      columns: [
        id,
        text('name', 255),
        { name: 'hostgroup_id', type: 'integer', isNullable: true },
        { name: 'smart_proxy_id', type: 'integer', isNullable: true },
        { name: 'organization_id', type: 'integer', isNullable: true },
        { name: 'location_id', type: 'integer', isNullable: true },
        { name: 'last_seen_at', type: 'datetime', precision: 3, isNullable: true },
        { name: 'missing_since', type: 'datetime', precision: 3, isNullable: true },
        ...stamps,
      ],
      foreignKeys: [
        { name: 'fk_hosts_hostgroup', columnNames: ['hostgroup_id'], referencedTableName: 'hostgroups', referencedColumnNames: ['id'], onDelete: 'SET NULL' },
        { name: 'fk_hosts_smart_proxy', columnNames: ['smart_proxy_id'], referencedTableName: 'smart_proxies', referencedColumnNames: ['id'], onDelete: 'SET NULL' },
        { name: 'fk_hosts_organization', columnNames: ['organization_id'], referencedTableName: 'organizations', referencedColumnNames: ['id'], onDelete: 'SET NULL' },
        { name: 'fk_hosts_location', columnNames: ['location_id'], referencedTableName: 'locations', referencedColumnNames: ['id'], onDelete: 'SET NULL' },
      ],
      indices: [
        // Named so the host search can force it for `ORDER BY name LIMIT n` on MySQL.
        new TableIndex({ name: 'uq_hosts_name', columnNames: ['name'], isUnique: true }),
        new TableIndex({ name: 'idx_hosts_hostgroup', columnNames: ['hostgroup_id'] }),
        new TableIndex({ name: 'idx_hosts_smart_proxy', columnNames: ['smart_proxy_id'] }),
        new TableIndex({ name: 'idx_hosts_organization', columnNames: ['organization_id'] }),
        new TableIndex({ name: 'idx_hosts_location', columnNames: ['location_id'] }),
      ],
    }));

    await queryRunner.createTable(new Table({
      name: 'facts',
      columns: [
        { name: 'host_id', type: 'integer', isPrimary: true },
        text('name', 191, { isPrimary: true }),
        text('value', 255),
      ],
      foreignKeys: [{ name: 'fk_facts_host', columnNames: ['host_id'], referencedTableName: 'hosts', referencedColumnNames: ['id'], onDelete: 'CASCADE' }],
      // host_id last makes `facts.x = v` an index-only lookup that yields host ids directly.
      indices: [new TableIndex({ name: 'idx_facts_name_value', columnNames: ['name', 'value', 'host_id'] })],
    }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['facts', 'hosts', 'smart_proxies', 'hostgroups', 'locations', 'organizations']) {
      await queryRunner.dropTable(table);
    }
  }
}
