/**
 * The environment of a ui-extension process started by a test (the scheduler's exactly-once tests
 * and the fault suite): configured only by env vars, on loopback, an ephemeral port, the test
 * admin's password, no proxy sync timer, and plain-text gRPC to loopback proxies with the tests'
 * caller secret (as `npm start` does with its own).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Config } from '@server/config';
import { ADMIN_PASSWORD } from '@test/ui-extension/jobs/support/job-stack';
import { TEST_PROXY_SECRET } from '@test/support/proxy-secret';

export function uiProcessEnv(options: { database: Config['database']; instanceId: string; env?: Record<string, string> }): Record<string, string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rex-ui-'));
  return {
    UI_EXTENSION_DATABASE_TYPE: options.database.type,
    ...(options.database.url ? { UI_EXTENSION_DATABASE_URL: options.database.url } : {}),
    UI_EXTENSION_SQLITE_PATH: options.database.sqlite_path,
    UI_EXTENSION_HTTP_HOST: '127.0.0.1',
    UI_EXTENSION_PORT: '0',
    UI_EXTENSION_INSTANCE_ID: options.instanceId,
    UI_EXTENSION_LOG_LEVEL: 'info',
    UI_EXTENSION_ADMIN_PASSWORD: ADMIN_PASSWORD,
    UI_EXTENSION_ADMIN_PASSWORD_FILE: path.join(dir, 'admin-password'),
    UI_EXTENSION_PROXY_SYNC_INTERVAL_S: '0',
    UI_EXTENSION_PROXY_PLAINTEXT: 'true',
    UI_EXTENSION_PROXY_CALLER_SECRET: TEST_PROXY_SECRET,
    ...options.env,
  };
}
