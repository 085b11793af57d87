/**
 * A job end to end on MCollective: the real ui-extension app (HTTP API, job service, dispatcher,
 * database) reaches the real proxy-plugin (runProxy: config -> MCollective client -> gRPC server)
 * through the ui-extension's gRPC proxy client; the proxy runs the action on 10 real mcollectived
 * daemons. Every host's stored result must equal what the real `mco rpc --json` reports for the
 * same action on the same hosts: statuscode, statusmsg and every field of the data with its JSON
 * type and exact text (issue 26: a Time, a Range, a Symbol, 2^70, 2^53+1 and 0.0 included).
 */
import type { JobHost, JobStatus } from '@common/jobs';
import type { ExecuteEvent__Output } from '@protos/generated/rex/proxy/v1/ExecuteEvent';
import { INTEGER_LITERAL, isJsonNumber, parseExact } from '@protos/json-numbers';
import type { McollectiveFleet } from '@test/fleet/mcollective/mcollective-fleet';
import { testDatabases } from '@test/support/databases';
import { AUTH, type JobApp } from '@test/ui-extension/jobs/support/job-stack';
import { MCO_HOSTGROUP, mcollectiveJobApp, mcollectiveSuite } from './support/mcollective-suite';

const PROXY_NAME = 'puppet-mco.mco.test';

interface McoResult {
  sender: string;
  statuscode: number;
  statusmsg: string;
  data: Record<string, unknown>;
}

async function runJob(app: JobApp, body: Record<string, unknown>): Promise<{ job: JobStatus; hosts: JobHost[] }> {
  const created = await fetch(`${app.url}/api/v2/remote_execution/jobs`, { method: 'POST', headers: { Authorization: AUTH, 'Content-Type': 'application/json' }, body: JSON.stringify({ job: body }) });
  if (created.status !== 201) throw new Error(`POST answered ${created.status}: ${await created.text()}`);
  let job = (await created.json()) as JobStatus;
  while (!['succeeded', 'failed', 'cancelled'].includes(job.state)) {
    job = (await (await fetch(`${app.url}/api/v2/remote_execution/jobs/${job.id}?wait=20&since=${job.version}`, { headers: { Authorization: AUTH } })).json()) as JobStatus;
  }
  // Read exactly, as a client that cares about numbers would: res.json() would round them.
  const page = parseExact(await (await fetch(`${app.url}/api/v2/remote_execution/jobs/${job.id}/hosts?per_page=100`, { headers: { Authorization: AUTH } })).text()) as { results: JobHost[] };
  return { job, hosts: page.results };
}

/** `mco rpc AGENT ACTION k=v ... -I host ... --json`: directed to the hosts, as our job is. */
async function mcoRpc(fleet: McollectiveFleet, agent: string, action: string, args: Record<string, string>, identities: string[]): Promise<McoResult[]> {
  const run = await fleet.mco(['rpc', agent, action, ...Object.entries(args).map(([k, v]) => `${k}=${v}`), ...identities.flatMap((id) => ['-I', id]), '--json', '--np']);
  // Application#halt_code: 0 all ok, 2 some host answered with a failure; anything else is an error.
  if (run.code !== 0 && run.code !== 2) throw new Error(`mco rpc exited ${run.code}: ${run.stderr}`);
  return parseExact(run.stdout) as McoResult[];
}

/**
 * A value with the JSON type of every leaf spelled out, so that 0.0 and 0, or 2^53+1 and 2^53, or
 * "1" and 1, are different; `fields` counts the leaves compared.
 */
function typed(value: unknown, fields: { count: number }): unknown {
  if (Array.isArray(value)) return value.map((v) => typed(v, fields));
  if (value !== null && typeof value === 'object' && !isJsonNumber(value)) {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, typed(v, fields)]));
  }
  fields.count++;
  if (isJsonNumber(value)) return `${INTEGER_LITERAL.test(value.value) ? 'integer' : 'float'} ${value.value}`;
  if (typeof value === 'number') return `unexact number ${value}`;
  return `${value === null ? 'null' : typeof value} ${JSON.stringify(value)}`;
}

function byHost(hosts: JobHost[], fields: { count: number }) {
  return Object.fromEntries(hosts.map((h) => [h.host_name, typed({ statuscode: h.statuscode, statusmsg: h.statusmsg, data: h.data }, fields)]));
}

function byMcoSender(results: McoResult[], fields: { count: number }) {
  return Object.fromEntries(results.map((r) => [r.sender, typed({ statuscode: r.statuscode, statusmsg: r.statusmsg, data: r.data }, fields)]));
}

interface CompareCase {
  agent: string;
  action: string;
  /** As `mco rpc` takes them on its command line. */
  mco: Record<string, string>;
  /** The same inputs as the API takes them. */
  api: Record<string, unknown>;
  state: 'succeeded' | 'failed';
}

/** Every action whose replies do not change between two runs (no clock or counter in them). */
const COMPARED: CompareCase[] = [
  { agent: 'rpcutil', action: 'collective_info', mco: {}, api: {}, state: 'succeeded' },
  { agent: 'rpcutil', action: 'inventory', mco: {}, api: {}, state: 'succeeded' },
  { agent: 'rpcutil', action: 'get_fact', mco: { fact: 'osfamily' }, api: { fact: 'osfamily' }, state: 'succeeded' },
  { agent: 'rpcutil', action: 'get_facts', mco: { facts: 'osfamily,hostgroup' }, api: { facts: 'osfamily,hostgroup' }, state: 'succeeded' },
  { agent: 'rpcutil', action: 'agent_inventory', mco: {}, api: {}, state: 'succeeded' },
  { agent: 'rpcutil', action: 'get_config_item', mco: { item: 'identity' }, api: { item: 'identity' }, state: 'succeeded' },
  { agent: 'rpcutil', action: 'get_data', mco: { source: 'agent', query: 'rexcheck' }, api: { source: 'agent', query: 'rexcheck' }, state: 'succeeded' },
  { agent: 'rexcheck', action: 'echo', mco: { message: 'same as mco' }, api: { message: 'same as mco' }, state: 'succeeded' },
  { agent: 'rexcheck', action: 'echo', mco: { message: 'loud', shout: 'true' }, api: { message: 'loud', shout: true }, state: 'succeeded' },
  { agent: 'rexcheck', action: 'multiply', mco: { value: '6', factor: '2.5' }, api: { value: 6, factor: 2.5 }, state: 'succeeded' },
  { agent: 'rexcheck', action: 'types', mco: {}, api: {}, state: 'succeeded' },
  { agent: 'rexcheck', action: 'delay', mco: { seconds: '0' }, api: { seconds: 0 }, state: 'succeeded' },
  { agent: 'rexcheck', action: 'reject', mco: { reason: 'invalid' }, api: { reason: 'invalid' }, state: 'failed' },
  { agent: 'rexcheck', action: 'reject', mco: { reason: 'aborted' }, api: { reason: 'aborted' }, state: 'failed' },
];

describe('a job on an MCollective proxy', () => {
  const suite = mcollectiveSuite({ proxyName: PROXY_NAME, fleet: { count: 10 } });

  it('lists the Ruby DDL agents and the fleet nodes with their facts through gRPC', async () => {
    const { clients, url, fleet } = suite;
    const agents = await clients.listAgents(url);
    expect(agents.map((a) => a.metadata?.name)).toEqual(expect.arrayContaining(['rpcutil', 'rexcheck']));
    const rexcheck = agents.find((a) => a.metadata?.name === 'rexcheck')!;
    expect(rexcheck.actions.find((a) => a.name === 'echo')?.inputs.map((i) => i.name)).toEqual(['message', 'shout']);
    const nodes = await clients.listNodes(url);
    expect(nodes.map((n) => n.identity).sort()).toEqual([...fleet.identities].sort());
    expect(nodes.find((n) => n.identity === fleet.nodes[0].identity)?.facts).toEqual(fleet.nodes[0].facts);
  });

  describe.each(testDatabases())('with the ui-extension on $kind', (database) => {
    const stack = mcollectiveJobApp(suite, database);
    const targeting = () => ({ hostgroup_id: stack.seeded.hostgroupIds.get(MCO_HOSTGROUP)! });

    // Figures for the report: replies and typed fields compared, over every case.
    const totals = { replies: 0, fields: 0 };
    afterAll(() => {
      console.log(`${database.kind}: ${COMPARED.length} actions, ${totals.replies} replies, ${totals.fields} typed fields equal to mco rpc --json`);
    });

    it.each(COMPARED.map((c) => [`${c.agent}#${c.action} ${JSON.stringify(c.mco)}`, c] as const))('stores what mco rpc --json prints, field by field with types, for %s', async (_name, c) => {
      const { job, hosts } = await runJob(stack.app, { namespace: c.agent, action: c.action, arguments: c.api, targeting: targeting(), timeout: 20 });
      expect(job.state).toBe(c.state);
      expect(hosts).toHaveLength(10);
      const mco = await mcoRpc(suite.fleet, c.agent, c.action, c.mco, suite.fleet.identities);
      expect(mco).toHaveLength(10);
      const ours = { count: 0 };
      const theirs = { count: 0 };
      expect(byHost(hosts, ours)).toEqual(byMcoSender(mco, theirs));
      expect(ours.count).toBe(theirs.count);
      totals.replies += hosts.length;
      totals.fields += ours.count;
    });

    it('stores a Time, a Range, a Symbol, 2^70, 2^53+1 and 0.0 as mco rpc --json prints them', async () => {
      const { hosts } = await runJob(stack.app, { namespace: 'rexcheck', action: 'types', arguments: {}, targeting: targeting(), timeout: 20 });
      const data = typed(hosts[0].data, { count: 0 }) as Record<string, unknown>;
      expect(data).toMatchObject({
        time_utc: 'string "1970-01-01 00:00:00 UTC"',
        time_local: 'string "2023-11-15 03:43:20 +0530"',
        range: 'string "1..3"',
        symbol: 'string "rexcheck"',
        big: 'integer 1180591620717411303424',
        exact: 'integer 9007199254740993',
        zero: 'float 0.0',
        negative_zero: 'float -0.0',
        exponent: 'float 1.0e+20',
      });
    });
  });

  it('cancels a running execution through gRPC, ending every host that has not answered cancelled', async () => {
    const { clients, url, fleet } = suite;
    const events: ExecuteEvent__Output[] = [];
    const running = clients.execute(
      url,
      { execution_id: 'cancel-1', agent: 'rexcheck', action: 'delay', arguments_json: '{"seconds":5}', identities: fleet.identities, caller: 'test', timeout_seconds: 20 },
      (event) => events.push(event),
    );
    while (!events.some((e) => e.started)) await new Promise((resolve) => setTimeout(resolve, 20));
    const started = Date.now();
    const outcome = await clients.cancel(url, 'cancel-1');
    await running;
    expect(Date.now() - started).toBeLessThan(3000);
    expect(outcome).toEqual({ found: true, cancelled_hosts: 10 });
    const results = events.filter((e) => e.result).map((e) => e.result!);
    expect(results.map((r) => r.identity).sort()).toEqual([...fleet.identities].sort());
    expect(results.every((r) => r.state === 'HOST_STATE_CANCELLED')).toBe(true);
    expect(events[events.length - 1].summary).toMatchObject({ state: 'EXECUTION_STATE_CANCELLED', cancelled: 10 });
  });
});
