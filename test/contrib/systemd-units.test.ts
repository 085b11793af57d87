/**
 * The systemd units in contrib/systemd: systemd's own checker accepts them without a warning, and
 * what they start is a production entry point of the build (dist/<path>.js compiled from
 * <path>.ts by tsconfig.build.json), with the hardening and restart policy the operations guide
 * promises.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const UNIT_DIR = path.join(ROOT, 'contrib', 'systemd');
const INSTALL_ROOT = '/opt/mco-rex/';
const SYSTEMD_ANALYZE = '/usr/bin/systemd-analyze';

type Unit = Record<string, Record<string, string[]>>;

/** systemd's ini dialect: sections, `Key=value`, repeated keys accumulate, # and ; comments. */
function parseUnit(text: string): Unit {
  const unit: Unit = {};
  let section = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      section = header[1];
      unit[section] ??= {};
      continue;
    }
    const eq = line.indexOf('=');
    if (eq < 0) throw new Error(`not a Key=value line: ${line}`);
    const key = line.slice(0, eq);
    (unit[section][key] ??= []).push(line.slice(eq + 1));
  }
  return unit;
}

const UNITS = [
  { file: 'mco-rex-ui.service', entry: 'ui-extension/src/server/main.ts', configEnv: 'UI_EXTENSION_CONFIG_FILE' },
  { file: 'mco-rex-proxy.service', entry: 'proxy-plugin/src/main.ts', configEnv: 'PROXY_PLUGIN_CONFIG_FILE' },
];

describe('contrib/systemd units', () => {
  it('are exactly the two documented units', () => {
    expect(fs.readdirSync(UNIT_DIR).filter((f) => f.endsWith('.service')).sort()).toEqual(UNITS.map((u) => u.file).sort());
  });

  it.each(UNITS)('$file starts the built $entry with node, as a compiled file of tsconfig.build.json', ({ file, entry }) => {
    const service = parseUnit(fs.readFileSync(path.join(UNIT_DIR, file), 'utf8')).Service;
    expect(service.ExecStart).toHaveLength(1);
    const [node, script, ...rest] = service.ExecStart[0].split(/\s+/);
    expect(node).toBe('/usr/bin/node');
    expect(rest).toEqual([]);
    expect(script.startsWith(`${INSTALL_ROOT}dist/`)).toBe(true);
    const source = script.slice(`${INSTALL_ROOT}dist/`.length).replace(/\.js$/, '.ts');
    expect(source).toBe(entry);
    expect(fs.existsSync(path.join(ROOT, source))).toBe(true);
    const build = JSON.parse(fs.readFileSync(path.join(ROOT, 'tsconfig.build.json'), 'utf8')) as { compilerOptions: { outDir: string; rootDir: string }; include: string[] };
    expect(build.compilerOptions).toMatchObject({ outDir: 'dist', rootDir: '.' });
    expect(build.include.some((dir) => source.startsWith(`${dir}/`))).toBe(true);
  });

  it.each(UNITS)('$file runs unprivileged, restarts on failure, reads an environment file and is hardened', ({ file, configEnv }) => {
    const unit = parseUnit(fs.readFileSync(path.join(UNIT_DIR, file), 'utf8'));
    const s = unit.Service;
    expect(s.User).toEqual(['mco-rex']);
    expect(s.Restart).toEqual(['on-failure']);
    expect(s.EnvironmentFile?.[0]).toMatch(/^-?\/etc\/mco-rex\/.+\.env$/);
    expect(s.Environment).toContain(`${configEnv}=/etc/mco-rex/${configEnv.startsWith('UI') ? 'ui-extension' : 'proxy'}.yaml`);
    for (const [key, value] of Object.entries({ NoNewPrivileges: 'yes', ProtectSystem: 'strict', ProtectHome: 'yes', PrivateTmp: 'yes', CapabilityBoundingSet: '', RestrictSUIDSGID: 'yes' })) {
      expect([key, s[key]]).toEqual([key, [value]]);
    }
    expect(s.MemoryDenyWriteExecute).toBeUndefined();
    expect(unit.Install.WantedBy).toEqual(['multi-user.target']);
  });

  it('pass systemd-analyze verify without a warning about either unit', () => {
    // systemd 252 (Debian 12) ships it with the systemd package; the project's machines have it.
    expect(fs.existsSync(SYSTEMD_ANALYZE)).toBe(true);
    const files = UNITS.map((u) => path.join(UNIT_DIR, u.file));
    const run = spawnSync(SYSTEMD_ANALYZE, ['verify', '--man=no', ...files], { encoding: 'utf8', cwd: UNIT_DIR });
    // Other units installed on the machine may draw warnings of their own; only ours count.
    const ours = `${run.stdout}\n${run.stderr}`.split('\n').filter((line) => line.includes(UNIT_DIR) || /mco-rex/.test(line));
    expect(ours).toEqual([]);
    expect(run.status).toBe(0);
  });

  it('makes systemd-analyze verify fail on a broken unit (the check above can fail)', () => {
    const broken = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'rex-units-')), 'broken.service');
    fs.writeFileSync(broken, '[Service]\nExecStart=/nonexistent/node /x.js\nRestart=sometimes\n');
    try {
      const run = spawnSync(SYSTEMD_ANALYZE, ['verify', '--man=no', broken], { encoding: 'utf8' });
      expect(`${run.stdout}${run.stderr}`).toMatch(/broken\.service/);
      expect(run.status).not.toBe(0);
    } finally {
      fs.rmSync(path.dirname(broken), { recursive: true, force: true });
    }
  });

  it('name only files that exist in the repository in their comments (docs and examples)', () => {
    for (const { file } of UNITS) {
      const text = fs.readFileSync(path.join(UNIT_DIR, file), 'utf8');
      for (const ref of text.match(/(?:docs|ui-extension|proxy-plugin)\/[\w./-]+\.(?:md|yaml)/g) ?? []) {
        expect([ref, fs.existsSync(path.join(ROOT, ref))]).toEqual([ref, true]);
      }
    }
  });
});
