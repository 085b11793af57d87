import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { createDdlRegistry, loadDdlDirectory, parseAgentDdl, toAgentDdl } from '@proxy/actions/ddl-registry';
import { anAgentDdlJson, anInput } from '@test/fixtures/agent-ddl';

const DDL_DIR = path.resolve(__dirname, '../../../proxy-plugin/ddl');

describe(loadDdlDirectory.name, () => {
  it('loads every shipped DDL without a problem when reading proxy-plugin/ddl', () => {
    const loaded = loadDdlDirectory(DDL_DIR);
    expect(loaded.problems).toEqual([]);
    expect(loaded.agents.map((a) => a.metadata.name).sort()).toEqual(['bolt_tasks', 'choria_util', 'package', 'puppet', 'rpcutil', 'service']);
  });

  it('reports a broken file and keeps the others when one DDL is invalid', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ddl-'));
    fs.copyFileSync(path.join(DDL_DIR, 'rpcutil.json'), path.join(dir, 'rpcutil.json'));
    fs.writeFileSync(path.join(dir, 'broken.json'), JSON.stringify({ metadata: { name: 'Bad-Name' }, actions: [] }));
    const loaded = loadDdlDirectory(dir);
    expect(loaded.agents.map((a) => a.metadata.name)).toEqual(['rpcutil']);
    expect(loaded.problems).toHaveLength(1);
    expect(loaded.problems[0]).toContain('broken.json');
  });
});

describe(toAgentDdl.name, () => {
  const agents = new Map(loadDdlDirectory(DDL_DIR).agents.map((a) => [a.metadata.name, toAgentDdl(a)]));

  it('converts the metadata of the real rpcutil DDL', () => {
    expect(agents.get('rpcutil')?.metadata).toMatchObject({ name: 'rpcutil', timeout: 2, license: 'Apache-2.0' });
    expect(agents.get('rpcutil')?.source).toBe('ddl_directory');
  });

  it('keeps list values and the display mode of the real package DDL', () => {
    const yumClean = agents.get('package')?.actions?.find((a) => a.name === 'yum_clean');
    const mode = yumClean?.inputs?.find((i) => i.name === 'mode');
    expect(mode).toMatchObject({ type: 'list', optional: true, list: ['all', 'headers', 'packages', 'metadata', 'dbcache', 'plugins', 'expire-cache'] });
    expect(yumClean?.display).toBe('failed');
    expect(agents.get('package')?.actions?.find((a) => a.name === 'status')?.display).toBe('always');
  });

  it('carries defaults as JSON when the real bolt_tasks DDL declares them', () => {
    const download = agents.get('bolt_tasks')?.actions?.find((a) => a.name === 'download');
    expect(download?.inputs?.find((i) => i.name === 'environment')?.default_json).toBe('"production"');
    expect(download?.inputs?.find((i) => i.name === 'task')?.default_json).toBe('');
  });

  it('turns DDL aggregate entries into output + options when the real puppet DDL has them', () => {
    const runonce = agents.get('puppet')?.actions?.find((a) => a.name === 'last_run_summary');
    const functions = runonce?.aggregates?.map((a) => a.function) ?? [];
    expect(functions).toContain('average');
    const average = runonce?.aggregates?.find((a) => a.function === 'average');
    expect(average?.output).not.toBe('');
    expect(JSON.parse(average?.args_json ?? '[]')[0]).toHaveProperty('format');
  });

  it('converts output display labels when the real service DDL declares them', () => {
    const status = agents.get('service')?.actions?.find((a) => a.name === 'status');
    expect(status?.outputs?.find((o) => o.name === 'status')).toMatchObject({ display_as: 'Service Status' });
  });

  it('marks inputs sensitive when their name says so', () => {
    const spec = parseAgentDdl(anAgentDdlJson({ login: { user: anInput({ type: 'string' }), api_token: anInput({ type: 'string' }) } }), 'ddl_directory');
    const inputs = toAgentDdl(spec).actions?.[0].inputs ?? [];
    expect(inputs.map((i) => [i.name, i.sensitive])).toEqual([['user', false], ['api_token', true]]);
  });

  it('defaults display to failed when the DDL names none, as Choria does', () => {
    const json = anAgentDdlJson({ run: {} }) as { actions: Array<Record<string, unknown>> };
    delete json.actions[0].display;
    expect(toAgentDdl(parseAgentDdl(json, 'ddl_directory')).actions?.[0].display).toBe('failed');
  });
});

describe(createDdlRegistry.name, () => {
  it('keeps the directory DDL when the fleet reports the same agent', () => {
    const registry = createDdlRegistry(loadDdlDirectory(DDL_DIR).agents);
    registry.addFleetAgents([{ agent: 'rpcutil', version: '9.9.9' }, { agent: 'nrpe', version: '4.0.0' }]);
    expect(registry.get('rpcutil')?.source).toBe('ddl_directory');
    expect(registry.get('nrpe')).toMatchObject({ source: 'fleet', metadata: { name: 'nrpe', version: '4.0.0' } });
    expect(registry.get('nrpe')?.actions.size).toBe(0);
  });
});
