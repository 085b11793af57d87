import { testDatabases } from '@test/support/databases';
import { useMigrationTestDatabase } from './support/migration-test';

const NAME = 'AllowJobHostsOutsideInventory1765819300000';

/** A job host without an inventory row (AllowJobHostsOutsideInventory), down and up again. */
describe.each(testDatabases())(`${NAME} on $kind`, (database) => {
  const db = useMigrationTestDatabase(database);

  const hostIdColumn = async () => {
    const table = await db.table('job_invocation_hosts');
    return { nullable: table?.findColumnByName('host_id')?.isNullable, indices: table?.indices.map((i) => i.name).sort() };
  };

  it('makes host_id nullable keeping the rows and indices, and on the way down keeps hostless rows with negative host ids', async () => {
    const ds = db.dataSource;
    await ds.query("INSERT INTO remote_actions (namespace, action, arguments, arguments_hash, created_at) VALUES ('rpcutil', 'ping', '{}', 'mig-outside', '2026-01-01 00:00:00.000')");
    const [action] = (await ds.query("SELECT id FROM remote_actions WHERE arguments_hash = 'mig-outside'")) as Array<{ id: number }>;
    await ds.query(`INSERT INTO job_invocations (remote_action_id, owner, description, state, timeout_s, ddl, version, last_event_seq, cancel_requested, created_at, updated_at)
      VALUES (?, 'admin', 'outside', 'succeeded', 5, '{}', 1, 0, 0, '2026-01-01 00:00:00.000', '2026-01-01 00:00:00.000')`, [Number(action.id)]);
    const [job] = (await ds.query("SELECT id FROM job_invocations WHERE description = 'outside'")) as Array<{ id: number }>;
    const before = await hostIdColumn();
    expect(before.nullable).toBe(true);
    await ds.query("INSERT INTO job_invocation_hosts (job_invocation_id, host_id, host_name, state, reason) VALUES (?, NULL, 'ghost-1.example.com', 'skipped', 'not in the inventory'), (?, NULL, 'ghost-2.example.com', 'skipped', 'not in the inventory')", [Number(job.id), Number(job.id)]);

    // Undo down to this migration: later ones come off first.
    await db.undoWhileApplied(NAME);
    expect((await hostIdColumn()).nullable).toBe(false);
    const down = (await ds.query('SELECT host_id, host_name, reason FROM job_invocation_hosts WHERE job_invocation_id = ? ORDER BY host_name', [Number(job.id)])) as Array<{ host_id: number; host_name: string; reason: string }>;
    expect(down.map((r) => [Number(r.host_id) < 0, r.host_name, r.reason])).toEqual([[true, 'ghost-1.example.com', 'not in the inventory'], [true, 'ghost-2.example.com', 'not in the inventory']]);

    await db.migrate();
    expect(await hostIdColumn()).toEqual(before);
    expect(Number(((await ds.query('SELECT COUNT(*) AS n FROM job_invocation_hosts WHERE job_invocation_id = ?', [Number(job.id)])) as Array<{ n: number }>)[0].n)).toBe(2);
  });
});
