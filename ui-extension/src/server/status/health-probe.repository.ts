import type { DataSource } from 'typeorm';
import { sqlDateTime } from '../search/compiler';

/** The database checks of status/database-health.ts: a read and a one-row write (health_probes). */
export interface HealthProbeRepository {
  ping(): Promise<void>;
  /** Writes the probe row; it is a real write on both databases (the time changes every call). */
  probeWrite(by: string, now: Date): Promise<void>;
}

export function createHealthProbeRepository(dataSource: DataSource): HealthProbeRepository {
  return {
    async ping() {
      await dataSource.query('SELECT 1');
    },
    async probeWrite(by, now) {
      await dataSource.query('UPDATE health_probes SET probed_by = ?, probed_at = ? WHERE id = 1', [by, sqlDateTime(now)]);
    },
  };
}
