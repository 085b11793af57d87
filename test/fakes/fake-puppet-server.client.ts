/**
 * A PuppetServerClient without a Puppet Server, for unit tests: tasks are whatever the test puts in
 * `tasks`, and `down` makes every call fail UNAVAILABLE like an unreachable server. The real server
 * is exercised by test/puppet/puppet.int.test.ts.
 */
import { AppError } from '@proxy/errors';
import type { PuppetServerClient, TaskDetails } from '@proxy/tasks/puppet-server.client';

export interface FakePuppetServer extends PuppetServerClient {
  tasks: Map<string, TaskDetails>;
  down: boolean;
  /** Calls made so far, e.g. `list production`, `get mod::task`. */
  readonly calls: string[];
}

export function createFakePuppetServer(tasks: TaskDetails[] = []): FakePuppetServer {
  const fake: FakePuppetServer = {
    url: 'https://puppet.fake:8140',
    tasks: new Map(tasks.map((t) => [t.name, t])),
    down: false,
    calls: [],
    async listTasks(environment) {
      fake.calls.push(`list ${environment}`);
      if (fake.down) throw new AppError('UNAVAILABLE', 'Puppet Server https://puppet.fake:8140 cannot be reached');
      return [...fake.tasks.values()].map((t) => ({ name: t.name, private: false, description: t.metadata.description ?? '' }));
    },
    async getTask(name, environment) {
      fake.calls.push(`get ${name}`);
      if (fake.down) throw new AppError('UNAVAILABLE', 'Puppet Server https://puppet.fake:8140 cannot be reached');
      const task = fake.tasks.get(name);
      if (!task) throw new AppError('NOT_FOUND', `Could not find task '${name}' in ${environment}`);
      return task;
    },
    close() {},
  };
  return fake;
}
