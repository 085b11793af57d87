import fs from 'node:fs';
import path from 'node:path';

import { packageVersion, pluginManifest } from '@proxy/plugin';

describe(pluginManifest.name, () => {
  it('advertises remote execution over its transport with the package version', () => {
    const { version } = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../package.json'), 'utf8')) as { version: string };
    expect(pluginManifest({ transport: 'demo' })).toEqual({ name: 'mco-rex-proxy', version, capabilities: ['remote_execution', 'demo'] });
    expect(packageVersion()).toBe(version);
  });

  it('adds puppet_tasks when the proxy serves Puppet Tasks', () => {
    expect(pluginManifest({ transport: 'choria', tasks: true }).capabilities).toEqual(['remote_execution', 'choria', 'puppet_tasks']);
  });
});
