import { chunks, placeholders, type Db } from './sql';

/**
 * The hosts the Foreman sync owns (inventory/foreman-sync.service.ts): it records the Foreman id of
 * each host it brought, and removes only those, never hosts of the inventory file or a proxy.
 */
export interface ForemanHostQueries {
  /** Hosts the Foreman sync brought, by the Foreman id it recorded. */
  foremanHosts(): Promise<Array<{ id: number; name: string; foremanId: number }>>;
  /** Records the Foreman id of each host (matched by our id). */
  setForemanIds(rows: Array<{ id: number; foremanId: number }>): Promise<void>;
  /** Deletes hosts with their facts; job history keeps the host's name (job_invocation_hosts has no key to hosts). */
  deleteHosts(ids: number[]): Promise<void>;
}

export function createForemanHostQueries(db: Db): ForemanHostQueries {
  return {
    async foremanHosts() {
      const rows = (await db.query('SELECT id, name, foreman_id FROM hosts WHERE foreman_id IS NOT NULL')) as Array<Record<string, unknown>>;
      return rows.map((r) => ({ id: Number(r.id), name: String(r.name), foremanId: Number(r.foreman_id) }));
    },
    async setForemanIds(rows) {
      for (const row of rows) await db.query('UPDATE hosts SET foreman_id = ? WHERE id = ?', [row.foremanId, row.id]);
    },
    async deleteHosts(ids) {
      for (const batch of chunks(ids, 1000)) {
        // Facts go first: SQLite enforces the cascade only with foreign_keys on.
        await db.query(`DELETE FROM facts WHERE host_id IN (${placeholders(batch.length)})`, batch);
        await db.query(`DELETE FROM hosts WHERE id IN (${placeholders(batch.length)})`, batch);
      }
    },
  };
}
