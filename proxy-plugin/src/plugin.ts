import fs from 'node:fs';
import path from 'node:path';

/** What a proxy advertises to the ui-extension through GetInfo. */
export interface PluginManifest {
  name: string;
  version: string;
  capabilities: string[];
}

export const PLUGIN_NAME = 'mco-rex-proxy';

/** The package version, read from the one package.json (from the sources or from dist/). */
export function packageVersion(): string {
  for (const dir of [path.resolve(__dirname, '..', '..'), path.resolve(__dirname, '..', '..', '..')]) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) return (JSON.parse(fs.readFileSync(file, 'utf8')) as { version: string }).version;
  }
  throw new Error(`package.json not found above ${__dirname}`);
}

/** Advertised when a Puppet Server is configured: the proxy serves the `tasks` namespace. */
export const PUPPET_TASKS_CAPABILITY = 'puppet_tasks';

/**
 * Capabilities follow the transport: the ui-extension routes a host to a proxy only when the
 * proxy can reach that host's broker. `puppet_tasks` says the proxy reads the Puppet Server task
 * API (proxy-plugin/src/tasks) and runs tasks through bolt_tasks.
 */
export function pluginManifest(options: { transport: 'choria' | 'mcollective' | 'demo'; tasks?: boolean }): PluginManifest {
  return { name: PLUGIN_NAME, version: packageVersion(), capabilities: ['remote_execution', options.transport, ...(options.tasks ? [PUPPET_TASKS_CAPABILITY] : [])] };
}
