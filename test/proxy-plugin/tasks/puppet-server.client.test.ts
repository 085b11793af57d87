import { AppError } from '@proxy/errors';
import { parseTaskDetails, taskPath } from '@proxy/tasks/puppet-server.client';

describe(taskPath.name, () => {
  it('maps module::task to its API path and a bare module to its init task', () => {
    expect(taskPath('apache::reload')).toBe('/puppet/v3/tasks/apache/reload');
    expect(taskPath('apache')).toBe('/puppet/v3/tasks/apache/init');
  });

  it('refuses a name that is not module::task', () => {
    expect(() => taskPath('../etc')).toThrow(AppError);
    expect(() => taskPath('a::b::c')).toThrow(/not module::task/);
  });
});

describe(parseTaskDetails.name, () => {
  const file = { filename: 'x.sh', sha256: 'a'.repeat(64), size_bytes: 3, uri: { path: '/puppet/v3/file_content/tasks/m/x.sh', params: { environment: 'production' } } };

  it('accepts the Puppet Server shape and treats missing metadata as empty', () => {
    expect(parseTaskDetails({ name: 'm::x', files: [file] }, 'task m::x')).toEqual({ name: 'm::x', metadata: {}, files: [file] });
  });

  it('refuses a file without a sha256, since nodes could not check what they run', () => {
    expect(() => parseTaskDetails({ name: 'm::x', metadata: {}, files: [{ ...file, sha256: 'nope' }] }, 'task m::x')).toThrow(/without filename, sha256 or size_bytes/);
  });
});
