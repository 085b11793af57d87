import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defaultConfigFile, loadCliConfig } from '../../../ui-extension/src/cli/config';
import { CliError } from '../../../ui-extension/src/cli/exit-codes';

describe(loadCliConfig.name, () => {
  let dir: string;
  let file: string;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rex-cli-config-'));
    file = path.join(dir, 'config.yaml');
    fs.writeFileSync(file, 'url: https://file.example\nuser: file-user\ntoken: file-token\n');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('takes the file when neither flags nor env say otherwise', () => {
    expect(loadCliConfig({ config: file }, {})).toMatchObject({ url: 'https://file.example', user: 'file-user', secret: 'file-token', sources: { url: 'file', user: 'file', secret: 'file' } });
  });

  it('prefers env to the file and flags to env', () => {
    const env = { REX_URL: 'https://env.example/', REX_USER: 'env-user', REX_TOKEN: 'env-token' };
    expect(loadCliConfig({ config: file }, env)).toMatchObject({ url: 'https://env.example', user: 'env-user', secret: 'env-token' });
    expect(loadCliConfig({ config: file, user: 'flag-user', token: 'flag-token' }, env)).toMatchObject({ url: 'https://env.example', user: 'flag-user', secret: 'flag-token', sources: { user: 'flag', secret: 'flag', url: 'env' } });
  });

  it('reads the file named by REX_CONFIG and the XDG default otherwise', () => {
    expect(loadCliConfig({}, { REX_CONFIG: file })).toMatchObject({ user: 'file-user', file });
    expect(defaultConfigFile({ XDG_CONFIG_HOME: dir })).toBe(path.join(dir, 'rex', 'config.yaml'));
    expect(defaultConfigFile({ HOME: dir })).toBe(path.join(dir, '.config', 'rex', 'config.yaml'));
    expect(loadCliConfig({}, { HOME: dir })).toMatchObject({ url: 'http://127.0.0.1:3000', user: undefined, secret: undefined, sources: { url: 'default' } });
  });

  it('refuses a file key it does not know (a password has no place there) naming the key', () => {
    fs.writeFileSync(file, 'url: https://file.example\npassword: secret\n');
    expect(() => loadCliConfig({ config: file }, {})).toThrow(CliError);
    expect(() => loadCliConfig({ config: file }, {})).toThrow(/password/);
  });

  it('refuses a named config file that does not exist and a URL that is not http(s)', () => {
    expect(() => loadCliConfig({ config: path.join(dir, 'nope.yaml') }, {})).toThrow(/does not exist/);
    expect(() => loadCliConfig({ url: 'ftp://x' }, { HOME: dir })).toThrow(/url: must be an http\(s\) URL/);
  });
});
