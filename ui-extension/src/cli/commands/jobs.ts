import { Option, type Command } from 'commander';
import type { ArgumentHistoryEntry } from '@common/argument-history';
import { splitKeyValue, typeInputText } from '@common/input-typing';
import type { DdlInputDto } from '@common/inventory';
import type { JobPreview } from '@common/job-preview';
import { FINAL_JOB_STATES, type Job, type JobEventsPage, type JobHost, type JobStatus, type Namespace, type RemoteAction, type RolloutPolicy, type Targeting } from '@common/jobs';
import type { ScheduleOccurrence } from '@common/schedules';
import type { ApiClient } from '../api-client';
import type { Context } from '../context';
import { CliError, EXIT } from '../exit-codes';
import { argumentsFromJob } from '../from-job';
import { jobExitCode, printAggregates, waitForJob } from '../job-wait';
import { printJson, printRecord, printsProse, printTable, writeLine, type Column } from '../output';
import { DRY_RUN_HOSTS, printJobPreview } from './job-preview';
import { isPuppetRunJob, printPuppetRuns } from './puppet-run-show';
import { done, enc, listQuery, positiveInt, runList, runRecord, withListOptions, type ListOptions } from './common';

export type JobListRow = Job;

export const historyColumns: ReadonlyArray<Column<Job>> = [
  ['id', (j) => j.id],
  ['state', (j) => j.state],
  ['action', (j) => `${j.namespace}#${j.action}`],
  ['arguments', (j) => (Object.keys(j.arguments).length === 0 ? '' : Object.entries(j.arguments).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' '))],
  ['target', (j) => targetingText(j)],
  ['hosts', (j) => `${j.counts.succeeded}/${j.total_hosts}`],
  ['owner', (j) => j.owner],
  ['created', (j) => j.created_at],
];

/** The targeting in a line; a hostgroup by its title when known (job show looks it up), else by id. */
function targetingText(job: Job, hostgroupTitle?: string | null): string {
  const t = job.targeting;
  if (t.search !== null) return `search: ${t.search}`;
  if (t.hostgroup_id !== null) return hostgroupTitle ? `hostgroup: ${hostgroupTitle}` : `hostgroup: ${t.hostgroup_id}`;
  if (t.host_ids !== null) return `hosts: ${t.host_ids.length}`;
  if (t.pql !== null) return `pql: ${t.pql}`;
  return '';
}

export interface TargetOptions {
  search?: string;
  hostgroup?: string;
  hosts?: string;
  pql?: string;
}

export function withTargetOptions(cmd: Command): Command {
  return cmd
    .option('-s, --search <query>', 'hosts matching a Foreman search, e.g. "hostgroup = web and facts.osfamily = Debian"')
    .option('-g, --hostgroup <hostgroup>', 'hosts of a hostgroup (id or title) and its children')
    .option('-H, --hosts <names>', 'comma-separated host names or ids')
    .option('--pql <query>', 'hosts of a PuppetDB query');
}

/** The targeting of --search | --hostgroup | --hosts | --pql (exactly one), names resolved to ids. */
export async function targeting(api: ApiClient, opts: TargetOptions, required: boolean): Promise<Targeting | undefined> {
  const given = (['search', 'hostgroup', 'hosts', 'pql'] as const).filter((k) => opts[k] !== undefined);
  if (given.length === 0) {
    if (required) throw new CliError(EXIT.USAGE, 'targeting: give one of --search, --hostgroup, --hosts, --pql');
    return undefined;
  }
  if (given.length > 1) throw new CliError(EXIT.USAGE, `targeting: give only one of --search, --hostgroup, --hosts, --pql (got ${given.map((g) => `--${g}`).join(', ')})`);
  // The API reads an empty search as every host you may see (the hosts list's "all matching"); on a command
  // line an empty --search is almost always an unset shell variable, so it is refused, not run on the fleet.
  if (opts.search !== undefined && opts.search.trim() === '') throw new CliError(EXIT.USAGE, '--search: must not be empty (an empty search matches every host you may see; search for what you mean)');
  if (opts.search !== undefined) return { search: opts.search };
  if (opts.pql !== undefined) return { pql: opts.pql };
  if (opts.hostgroup !== undefined) {
    const id = /^\d+$/.test(opts.hostgroup) ? Number(opts.hostgroup) : (await api.get<{ id: number }>(`/hostgroups/${enc(opts.hostgroup)}`)).id;
    return { hostgroup_id: id };
  }
  const names = opts.hosts!.split(',').map((h) => h.trim()).filter(Boolean);
  if (names.length === 0) throw new CliError(EXIT.USAGE, '--hosts: name at least one host');
  const ids: number[] = [];
  for (const name of names) ids.push(/^\d+$/.test(name) ? Number(name) : (await api.get<{ id: number }>(`/hosts/${enc(name)}`)).id);
  return { host_ids: ids };
}

/** One `key=value` typed by the action's DDL exactly as `mco rpc` types it (common/input-typing.ts). */
function argumentValue(key: string, raw: string, input: DdlInputDto | undefined): unknown {
  const typed = typeInputText(input?.type ?? 'string', raw);
  if (!typed.ok) throw new CliError(EXIT.USAGE, `argument ${key}: ${typed.message}`);
  return typed.value;
}

async function parseArguments(api: ApiClient, namespace: string, action: string, pairs: string[]): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  if (pairs.length === 0) return out;
  // Typed by the DDL when the caller may read it; otherwise the values go as text and the API,
  // which checks them against the DDL anyway, says what is wrong.
  let inputs: DdlInputDto[] = [];
  try {
    const namespaces = await api.get<{ results: Namespace[] }>('/remote_execution/namespaces');
    inputs = (namespaces.results.find((n) => n.name === namespace)?.actions.find((a) => a.name === action)?.inputs ?? []) as DdlInputDto[];
  } catch (error) {
    if ((error as CliError).exitCode !== EXIT.USAGE) throw error;
  }
  for (const pair of pairs) {
    const split = splitKeyValue(pair);
    if (!split) throw new CliError(EXIT.USAGE, `argument ${JSON.stringify(pair)}: must be key=value with a key and a value, as mco rpc takes them`);
    out[split.key] = argumentValue(split.key, split.value, inputs.find((i) => i.name === split.key));
  }
  return out;
}

/**
 * The host sections of `rex job show`, as puppet job show prints them: counts from the job, names
 * from its lists (at most 1,000 each). FAILED holds what fails a job (failed, no response, skipped);
 * cancelled hosts have their own section, and hosts still waiting are counted.
 */
export function hostSections(job: JobStatus): string[] {
  const c = job.counts;
  const out: string[] = [];
  const section = (title: string, count: number, names: readonly string[], detail = '') => out.push(`\n${title} (${count}/${job.total_hosts}${detail})\n${'-'.repeat(40)}`, ...names);
  if (c.succeeded > 0) section('SUCCEEDED', c.succeeded, job.succeeded_hosts);
  const why = ([['failed', c.failed], ['no response', c.no_response], ['skipped', c.skipped]] as const).filter(([, n]) => n > 0);
  const failed = why.reduce((n, [, k]) => n + k, 0);
  // Said which when any is not a plain failure: "FAILED (9/60: 1 no response, 8 skipped)".
  if (failed > 0) section('FAILED', failed, job.failed_hosts, why.some(([w]) => w !== 'failed') ? `: ${why.map(([w, n]) => `${n} ${w}`).join(', ')}` : '');
  if (c.cancelled > 0) section('CANCELLED', c.cancelled, job.cancelled_hosts ?? []);
  const waiting = c.pending + c.running;
  if (waiting > 0) out.push(`\nIN PROGRESS (${waiting}/${job.total_hosts}): ${c.running} running, ${c.pending} pending`);
  return out;
}

/** `rex job show` in the style of `puppet job show`; with another --output or --fields, its fields only. */
function printJobShow(ctx: Context, job: JobStatus, hostgroupTitle?: string | null): void {
  const duration = job.started_at && job.finished_at ? `${((Date.parse(job.finished_at) - Date.parse(job.started_at)) / 1000).toFixed(1)} sec` : '';
  printRecord(ctx.io, [
    ['Job ID', job.id],
    ['Status', job.state],
    ['Action', `${job.namespace}#${job.action}`],
    ['Arguments', Object.keys(job.arguments).length ? JSON.stringify(job.arguments) : '(none)'],
    ['Targeting', targetingText(job, hostgroupTitle)],
    ['Description', job.description],
    ['User', job.owner],
    ['Created', job.created_at],
    ['Start Time', job.started_at ?? ''],
    ['Finish Time', job.finished_at ?? ''],
    ['Duration', duration],
    ['Concurrency', job.concurrency_level ?? 'unlimited'],
    ['Batch size', job.batch_size ?? 'all'],
    ['Hosts', job.total_hosts],
    ['Progress', `${job.progress}%`],
    ...(job.rollout_progress ? [['Rollout', rolloutText(job)] as [string, string]] : []),
    // Replies that arrived after the job ended (its deadline, a lost proxy): counted in their state, too.
    ...(job.late_results > 0 ? [['Late results', job.late_results] as [string, number]] : []),
  ]);
  if (!printsProse(ctx.io)) return;
  for (const text of hostSections(job)) writeLine(ctx.io.out, text);
  printAggregates(ctx.io, job);
}

/** What a cancel did: a scheduled or finished-by-it job is cancelled; a running one is being cancelled. */
function cancelText(job: Job): string {
  if (FINAL_JOB_STATES.includes(job.state)) return `Job ${job.id} ${job.state === 'cancelled' ? 'cancelled' : `already ${job.state}`}.`;
  // No counts: the answer is a snapshot taken while the proxies are still being told (one may have settled its
  // hosts, another not yet), and an asked host ends no_response unless it replies, not cancelled.
  return `Job ${job.id} cancelling: nothing more is sent; hosts already asked are stopped on their proxies and end no_response unless they reply, hosts not asked end cancelled. Follow it with: rex job wait ${job.id}`;
}

/** After a job was created: wait for it (--wait) or say how to follow it. Returns the exit status. */
async function afterCreate(ctx: Context, cmd: Command, api: ApiClient, job: Job, wait: boolean): Promise<number> {
  if (!wait || job.state === 'scheduled') {
    if (ctx.json(cmd)) printJson(ctx.io, job);
    else writeLine(ctx.io.out, job.state === 'scheduled' ? `Job ${job.id} scheduled (schedule ${job.schedule_id}).` : `Job ${job.id} ${job.state} on ${job.total_hosts} hosts. Follow it with: rex job wait ${job.id}`);
    return EXIT.OK;
  }
  if (!ctx.json(cmd)) writeLine(ctx.io.out, `Job ${job.id} ${job.state} on ${job.total_hosts} hosts.`);
  const final = await waitForJob(api, ctx.io, job.id, { lines: !ctx.json(cmd) });
  if (ctx.json(cmd)) printJson(ctx.io, final);
  return jobExitCode(final);
}

interface RunOptions extends TargetOptions {
  at?: string;
  cron?: string;
  tz?: string;
  maxIterations?: string;
  endTime?: string;
  static?: boolean;
  batchSize?: string;
  concurrency?: string;
  timeout?: string;
  description?: string;
  wait?: boolean;
  dryRun?: boolean;
  fromJob?: string;
  rolloutBatch?: string;
  pause?: string;
  canary?: string;
  canaryThen?: string;
  maxFailures?: string;
}

/** A count, or a percentage such as 10%, as the API takes it. */
function countOrPercent(name: string, value: string | undefined): number | `${number}%` | undefined {
  if (value === undefined) return undefined;
  if (/^(100|[1-9][0-9]?)%$/.test(value)) return value as `${number}%`;
  return positiveInt(name, value);
}

/** The rollout policy of --rollout-batch, --pause, --canary, --canary-then, --max-failures; undefined when none is given. */
function rolloutOf(opts: RunOptions): RolloutPolicy | undefined {
  if ([opts.rolloutBatch, opts.pause, opts.canary, opts.maxFailures].every((v) => v === undefined)) {
    if (opts.canaryThen !== undefined) throw new CliError(EXIT.USAGE, '--canary-then: only with --canary');
    return undefined;
  }
  if (opts.canaryThen !== undefined && !['wait', 'continue'].includes(opts.canaryThen)) throw new CliError(EXIT.USAGE, `--canary-then: must be wait or continue (got ${JSON.stringify(opts.canaryThen)})`);
  if (opts.pause !== undefined && !/^\d+$/.test(opts.pause)) throw new CliError(EXIT.USAGE, `--pause: must be a whole number of seconds (got ${JSON.stringify(opts.pause)})`);
  const canary = positiveInt('--canary', opts.canary);
  return {
    batch_size: countOrPercent('--rollout-batch', opts.rolloutBatch),
    pause_s: opts.pause !== undefined ? Number(opts.pause) : undefined,
    canary: canary !== undefined ? { hosts: canary, then: (opts.canaryThen ?? 'wait') as 'wait' | 'continue' } : undefined,
    max_failures: countOrPercent('--max-failures', opts.maxFailures),
  };
}

/** "batch 2 of 6, 1 of 3 failures allowed" and what holds it, for show and --wait. */
export function rolloutText(job: Job): string {
  const r = job.rollout_progress;
  if (!r) return '';
  const parts = [`batch ${r.batch} of ${r.batches}`, r.max_failures === null ? `${r.failures} failed` : `failures ${r.failures} of max ${r.max_failures}`];
  if (r.stopped_reason) parts.push(`stopped: ${r.stopped_reason}`);
  else if (r.paused) parts.push(`paused: ${r.pause_reason ?? 'paused'} (rex job resume ${job.id})`);
  else if (r.next_batch_at) parts.push(`next batch at ${r.next_batch_at}`);
  return parts.join(', ');
}

/** job, history, actions, namespace, puppet, schedule. Each action returns its exit status. */
export function registerJobCommands(program: Command, ctx: Context, setExit: (code: number) => void): void {
  const job = program.command('job').alias('jobs').description('Run actions on hosts and follow jobs');

  withTargetOptions(job.command('run'))
    .description('Run an action on hosts: rex job run package status package=nginx --hostgroup web --wait')
    .argument('<namespace>', 'agent, e.g. package')
    .argument('<action>', 'action, e.g. status')
    .argument('[arguments...]', 'inputs as key=value')
    .addOption(new Option('--at <time>', 'run once at this time (ISO 8601, e.g. 2026-12-01T02:00:00Z)').conflicts('cron'))
    .option('--cron <line>', 'run repeatedly on this five-field cron line')
    .option('--tz <zone>', 'IANA time zone of --cron (e.g. Europe/Berlin)')
    .option('--max-iterations <n>', 'with --cron: stop after n runs')
    .option('--end-time <time>', 'with --cron: no runs after this time')
    .option('--static', 'with --at/--cron: resolve the hosts now, not at each run')
    .option('--batch-size <n>', 'hosts per broker batch')
    .option('--concurrency <n>', 'hosts in flight at once')
    .option('--timeout <seconds>', 'seconds each host may take')
    .option('--rollout-batch <n|n%>', 'rollout: send the hosts in batches of n (or n% of them), in order')
    .option('--pause <seconds>', 'rollout: wait this long between two batches')
    .option('--canary <n>', 'rollout: the first n hosts go first, then the job waits for rex job resume')
    .option('--canary-then <wait|continue>', 'after the canary: wait for a resume (default), or continue when all succeeded')
    .option('--max-failures <n|n%>', 'rollout: send no further batch once n hosts (or n%) failed or did not respond')
    .option('-d, --description <text>', 'description')
    .option('--from-job <id>', 'start from the arguments job <id> ran with (same namespace and action); key=value given here replace them')
    .option('-w, --wait', 'follow the job to its end; exit 0 only if every host succeeded')
    .addOption(new Option('--dry-run', 'print the hosts it would run on (per smart proxy, skipped with reasons) and create nothing').conflicts('wait'))
    .action(async (namespace: string, action: string, args: string[], opts: RunOptions, cmd: Command) => {
      if (opts.tz !== undefined && opts.cron === undefined) throw new CliError(EXIT.USAGE, '--tz: only with --cron');
      if (opts.cron !== undefined && opts.tz === undefined) throw new CliError(EXIT.USAGE, '--cron: needs --tz (the time zone the cron line is read in)');
      const api = await ctx.api(cmd);
      const given = await parseArguments(api, namespace, action, args);
      const body = {
        job: {
          namespace,
          action,
          arguments: opts.fromJob !== undefined ? await argumentsFromJob(api, opts.fromJob, namespace, action, given) : given,
          targeting: (await targeting(api, opts, true))!,
          description: opts.description,
          batch_size: positiveInt('--batch-size', opts.batchSize),
          concurrency_level: positiveInt('--concurrency', opts.concurrency),
          timeout: positiveInt('--timeout', opts.timeout),
          rollout: rolloutOf(opts),
          scheduling: opts.at !== undefined ? { start_at: opts.at } : undefined,
          recurrence: opts.cron !== undefined ? { cron_line: opts.cron, time_zone: opts.tz, max_iterations: positiveInt('--max-iterations', opts.maxIterations), end_time: opts.endTime } : undefined,
          targeting_type: opts.static ? 'static_query' : undefined,
        },
      };
      if (opts.dryRun) {
        printJobPreview(ctx.io, ctx.json(cmd), await api.post<JobPreview>(`/remote_execution/jobs/preview?per_page=${DRY_RUN_HOSTS}`, body));
        return;
      }
      setExit(await afterCreate(ctx, cmd, api, await api.post<Job>('/remote_execution/jobs', body), opts.wait === true));
    });

  job.command('show').argument('<id>', 'job id').description('Show a job: state, timing and hosts by result')
    .option('--outcome <outcomes>', 'Puppet runs: list only the hosts with these outcomes, e.g. failed,noop_pending (changed, unchanged, failed, noop_pending, not_run)')
    .action(async (id: string, opts: { outcome?: string }, cmd: Command) => {
      const api = await ctx.api(cmd);
      const status = await api.get<JobStatus>(`/remote_execution/jobs/${enc(id)}`);
      if (ctx.json(cmd)) printJson(ctx.io, status);
      else {
        // The title the operator typed (--hostgroup base/web), as the web UI shows it; the id if it is gone or not visible.
        const hostgroupId = status.targeting.hostgroup_id;
        const title = hostgroupId === null ? null : await api.get<{ title: string }>(`/hostgroups/${hostgroupId}`).then((g) => g.title, () => null);
        printJobShow(ctx, status, title);
      }
      if (!ctx.json(cmd) && printsProse(ctx.io) && isPuppetRunJob(status)) await printPuppetRuns(api, ctx.io, status, opts.outcome);
    });

  withListOptions(job.command('list').description('List jobs, newest first'))
    .option('--from <time>', 'ran (or will run) at or after this time (ISO 8601)')
    .option('--to <time>', 'ran (or will run) at or before this time (ISO 8601)')
    .action(async (opts: ListOptions & { from?: string; to?: string }, cmd: Command) => {
      await runList(ctx, cmd, '/remote_execution/jobs', { ...listQuery(opts), from: opts.from, to: opts.to }, historyColumns);
    });

  withListOptions(job.command('hosts').argument('<id>', 'job id').description('A job\'s hosts with their states and outputs'))
    .option('--state <states>', 'comma-separated host states, e.g. failed,no_response')
    .option('--outcome <outcomes>', 'Puppet runs: comma-separated run outcomes, e.g. failed,changed (changed, unchanged, failed, noop_pending, not_run)')
    .addOption(new Option('--export <format>', 'every matching host (no paging) as a file on stdout: csv or jsonl').choices(['csv', 'jsonl']))
    .action(async (id: string, opts: ListOptions & { state?: string; outcome?: string; export?: 'csv' | 'jsonl' }, cmd: Command) => {
      if (opts.export !== undefined) {
        await (await ctx.api(cmd)).download(`/remote_execution/jobs/${enc(id)}/hosts/export`, { format: opts.export, search: opts.search, state: opts.state, outcome: opts.outcome }, ctx.io.out);
        return;
      }
      await runList<JobHost>(ctx, cmd, `/remote_execution/jobs/${enc(id)}/hosts`, { ...listQuery(opts), state: opts.state, outcome: opts.outcome }, [
        ['host', (h) => h.host_name],
        ['state', (h) => (h.late ? `${h.state} (late)` : h.state)],
        ['message', (h) => h.reason ?? h.statusmsg],
        ['output', (h) => h.output.map((o) => `${o.display_as}: ${typeof o.value === 'string' ? o.value : JSON.stringify(o.value)}`).join('; ')],
      ]);
    });

  job.command('events').argument('<id>', 'job id').description('Hosts that finished, after a sequence number')
    .option('--after <sequence>', 'events after this sequence', '0')
    .option('--limit <n>', 'at most n events')
    .option('--poll <seconds>', 'long-poll up to this many seconds for the next event')
    .action(async (id: string, opts: { after: string; limit?: string; poll?: string }, cmd: Command) => {
      const page = await (await ctx.api(cmd)).get<JobEventsPage>(`/remote_execution/jobs/${enc(id)}/events`, { after: opts.after, limit: opts.limit, wait: opts.poll });
      if (ctx.json(cmd)) return printJson(ctx.io, page);
      printTable(ctx.io, page.events, [['seq', (e) => e.sequence], ['host', (e) => e.host_name], ['state', (e) => e.state], ['finished', (e) => e.finished_at]]);
    });

  job.command('wait').argument('<id>', 'job id').description('Follow a job to its end; exit 0 only if every host succeeded').action(async (id: string, _opts: unknown, cmd: Command) => {
    const jobId = positiveInt('job id', id)!;
    const final = await waitForJob(await ctx.api(cmd), ctx.io, jobId, { lines: !ctx.json(cmd) });
    if (ctx.json(cmd)) printJson(ctx.io, final);
    setExit(jobExitCode(final));
  });

  withTargetOptions(job.command('replay').argument('<id>', 'job id').description('Run a job\'s action again: on its failed hosts, all its hosts, or a new targeting'))
    .option('--failed', 'only the hosts that did not succeed')
    .option('--all', 'all the job\'s hosts (the default without targeting)')
    .option('-d, --description <text>', 'description')
    .option('-w, --wait', 'follow the new job to its end')
    .addOption(new Option('--dry-run', 'print the hosts the replay would run on and create nothing').conflicts('wait'))
    .action(async (id: string, opts: TargetOptions & { failed?: boolean; all?: boolean; description?: string; wait?: boolean; dryRun?: boolean }, cmd: Command) => {
      const api = await ctx.api(cmd);
      const target = await targeting(api, opts, false);
      if (target && (opts.failed || opts.all)) throw new CliError(EXIT.USAGE, '--failed/--all: not with a new targeting');
      const body = target ? { targeting: target, description: opts.description } : { hosts: opts.failed ? 'failed' : 'all', description: opts.description };
      if (opts.dryRun) {
        printJobPreview(ctx.io, ctx.json(cmd), await api.post<JobPreview>(`/remote_execution/jobs/${enc(id)}/replay/preview?per_page=${DRY_RUN_HOSTS}`, body));
        return;
      }
      setExit(await afterCreate(ctx, cmd, api, await api.post<Job>(`/remote_execution/jobs/${enc(id)}/replay`, body), opts.wait === true));
    });

  job.command('cancel').argument('<id>', 'job id').description('Cancel a job: a scheduled one at once, a running one once its proxies stop its hosts')
    .option('-w, --wait', 'follow the job until it is cancelled')
    .action(async (id: string, opts: { wait?: boolean }, cmd: Command) => {
      const api = await ctx.api(cmd);
      const body = await api.post<Job>(`/remote_execution/jobs/${enc(id)}/cancel`);
      if (!opts.wait || FINAL_JOB_STATES.includes(body.state)) return done(ctx, cmd, body, cancelText(body));
      if (!ctx.json(cmd)) writeLine(ctx.io.out, cancelText(body));
      const final = await waitForJob(api, ctx.io, body.id, { lines: !ctx.json(cmd) });
      if (ctx.json(cmd)) printJson(ctx.io, final);
      setExit(jobExitCode(final));
    });

  job.command('pause').argument('<id>', 'job id').description('Pause a rollout: what was sent finishes, no new batch starts until rex job resume').action(async (id: string, _opts: unknown, cmd: Command) => {
    const body = await (await ctx.api(cmd)).post<Job>(`/remote_execution/jobs/${enc(id)}/pause`);
    done(ctx, cmd, body, `Job ${body.id} paused: ${rolloutText(body)}.`);
  });

  job.command('resume').argument('<id>', 'job id').description('Resume a paused rollout (or one waiting after its canary)').action(async (id: string, _opts: unknown, cmd: Command) => {
    const body = await (await ctx.api(cmd)).post<Job>(`/remote_execution/jobs/${enc(id)}/resume`);
    done(ctx, cmd, body, `Job ${body.id} resumed: ${rolloutText(body)}.`);
  });

  const history = program.command('history').description('Past jobs');
  withListOptions(history.command('search').argument('[text]', 'words found in the namespace, action, arguments, targeting or description; or a search such as "namespace = package and state = failed"', '').description('Find past jobs to run again (rex job replay ID)'))
    .action(async (text: string, opts: ListOptions, cmd: Command) => {
      await runList(ctx, cmd, '/remote_execution/jobs', { ...listQuery(opts), search: [text, opts.search].filter((s) => s && s !== '').join(' and ') }, historyColumns);
    });

  const actions = program.command('actions').alias('action').description('Stored remote actions (namespace, action, arguments)');
  withListOptions(actions.command('history').argument('<namespace>', 'agent, e.g. package').argument('<action>', 'action, e.g. status').description('The distinct arguments earlier jobs of an action ran with, newest first (run one again: rex job run NS ACTION --from-job JOB)'))
    .action(async (namespace: string, action: string, opts: ListOptions, cmd: Command) => {
      await runList<ArgumentHistoryEntry>(ctx, cmd, '/remote_execution/argument_history', { ...listQuery(opts), namespace, action }, [
        ['last_job', (a) => a.last_job_id],
        ['arguments', (a) => JSON.stringify(a.arguments)],
        ['runs', (a) => a.run_count],
        ['last_run', (a) => a.last_run_at],
      ]);
    });
  withListOptions(actions.command('list').description('List stored actions with how often they ran'))
    .option('--namespace <name>', 'only this namespace')
    .option('--action <name>', 'only this action')
    .action(async (opts: ListOptions & { namespace?: string; action?: string }, cmd: Command) => {
      await runList<RemoteAction>(ctx, cmd, '/remote_execution/actions', { ...listQuery(opts), namespace: opts.namespace, action: opts.action }, [
        ['id', (a) => a.id],
        ['action', (a) => `${a.namespace}#${a.action}`],
        ['arguments', (a) => JSON.stringify(a.arguments)],
        ['runs', (a) => a.run_count],
        ['last run', (a) => a.last_run_at],
      ]);
    });
  withScheduleOptions(withTargetOptions(actions.command('schedule').argument('<id>', 'stored action id').description('Schedule a stored action on a targeting'))).action(async (id: string, opts: ScheduleOptions, cmd: Command) => {
    const api = await ctx.api(cmd);
    const body = { targeting: (await targeting(api, opts, true))!, ...scheduleBody(opts) };
    const schedule = await api.post<{ id: number }>(`/remote_execution/actions/${enc(id)}/schedule`, body);
    done(ctx, cmd, schedule, `Schedule ${schedule.id} created.`);
  });

  registerNamespaceCommands(program, ctx);
  registerScheduleCommands(program, ctx);

  const puppet = program.command('puppet').description('Puppet runs');
  withTargetOptions(puppet.command('run').description('Run Puppet once on a host or on the targeted hosts'))
    .argument('[host]', 'one host (id or name); or use --search, --hostgroup, --hosts, --pql')
    .option('--noop', 'no-op run')
    .option('--tags <tags>', 'comma-separated tags')
    .addOption(new Option('--if-running <skip|wait>', 'a host already applying a catalog: skip it (the default) or wait for that run to end, then run (within --timeout)').choices(['skip', 'wait']))
    .option('--timeout <seconds>', 'seconds the runs may take, waits included (default 1800)')
    .option('-w, --wait', 'follow the job to its end')
    .action(async (host: string | undefined, opts: TargetOptions & { noop?: boolean; tags?: string; ifRunning?: 'skip' | 'wait'; timeout?: string; wait?: boolean }, cmd: Command) => {
      const api = await ctx.api(cmd);
      const args: Record<string, unknown> = {};
      if (opts.noop) args.noop = true;
      if (opts.tags) args.tags = opts.tags;
      const options = { arguments: args, if_running: opts.ifRunning, timeout: positiveInt('--timeout', opts.timeout) };
      const target = await targeting(api, opts, host === undefined);
      if (host !== undefined && target) throw new CliError(EXIT.USAGE, 'puppet run: give a host or a targeting option, not both');
      const created = host !== undefined ? await api.post<Job>(`/hosts/${enc(host)}/puppet_run`, options) : await api.post<Job>('/remote_execution/puppet_run', { targeting: target, ...options });
      setExit(await afterCreate(ctx, cmd, api, created, opts.wait === true));
    });
}

interface ScheduleOptions extends TargetOptions {
  at?: string;
  cron?: string;
  tz?: string;
  maxIterations?: string;
  endTime?: string;
  static?: boolean;
  description?: string;
}

function withScheduleOptions(cmd: Command): Command {
  return cmd
    .option('--at <time>', 'run once at this time (ISO 8601)')
    .option('--cron <line>', 'run on this five-field cron line')
    .option('--tz <zone>', 'IANA time zone of --cron')
    .option('--max-iterations <n>', 'with --cron: stop after n runs')
    .option('--end-time <time>', 'with --cron: no runs after this time')
    .option('--static', 'resolve the hosts now, not at each run')
    .option('-d, --description <text>', 'description');
}

function scheduleBody(opts: ScheduleOptions): Record<string, unknown> {
  return {
    scheduling: opts.at !== undefined ? { start_at: opts.at } : undefined,
    recurrence: opts.cron !== undefined || opts.tz !== undefined ? { cron_line: opts.cron, time_zone: opts.tz, max_iterations: positiveInt('--max-iterations', opts.maxIterations), end_time: opts.endTime } : undefined,
    targeting_type: opts.static ? 'static_query' : undefined,
    description: opts.description,
  };
}

interface Schedule {
  id: number;
  enabled?: boolean;
  [key: string]: unknown;
}

function registerScheduleCommands(program: Command, ctx: Context): void {
  const schedule = program.command('schedule').alias('schedules').description('Scheduled and recurring jobs');
  schedule.command('list').description('Upcoming runs of the schedules')
    .option('--from <time>', 'from this time (ISO 8601 with offset)')
    .option('--to <time>', 'up to this time (ISO 8601 with offset)')
    .option('--page <n>', 'page number')
    .option('--per-page <n>', 'results per page')
    .action(async (opts: { from?: string; to?: string; page?: string; perPage?: string }, cmd: Command) => {
      // Each occurrence carries its schedule under `schedule` (ScheduleOccurrence); the job exists
      // only for the next one (the schedule's `scheduled` job).
      await runList<ScheduleOccurrence>(ctx, cmd, '/remote_execution/schedules', { from: opts.from, to: opts.to, page: opts.page, per_page: opts.perPage }, [
        ['schedule', (o) => o.schedule_id],
        ['at', (o) => o.at],
        ['action', (o) => `${o.schedule.namespace}#${o.schedule.action}`],
        ['recurrence', (o) => (o.schedule.cron_line ? `${o.schedule.cron_line} (${o.schedule.time_zone ?? ''})` : 'once')],
        ['job', (o) => (o.schedule.next_run_at !== null && Date.parse(o.schedule.next_run_at) === Date.parse(o.at) ? o.schedule.next_job_id : null)],
        ['description', (o) => o.schedule.description],
      ]);
    });
  schedule.command('definitions').alias('recurring-logics').description('The schedules themselves (Foreman\'s recurring logics): state, cron line, next and last run, iterations')
    .option('--page <n>', 'page number')
    .option('--per-page <n>', 'results per page')
    .action(async (opts: { page?: string; perPage?: string }, cmd: Command) => {
      await runList<Record<string, unknown>>(ctx, cmd, '/remote_execution/schedule_definitions', { page: opts.page, per_page: opts.perPage }, [
        ['id', (s) => s.id],
        ['state', (s) => s.state],
        ['action', (s) => `${String(s.namespace)}#${String(s.action)}`],
        ['recurrence', (s) => (s.cron_line ? `${String(s.cron_line)} (${String(s.time_zone)})` : 'once')],
        ['next run', (s) => s.next_run_at],
        // Time and state apart, so that the time is shown local to the second as every other time.
        ['last run', (s) => (s.last_run as { at: string } | null)?.at ?? ''],
        ['last state', (s) => (s.last_run as { state: string } | null)?.state ?? ''],
        ['iterations', (s) => (s.max_iterations ? `${String(s.iterations)}/${String(s.max_iterations)}` : s.iterations)],
        ['description', (s) => s.description],
      ]);
    });
  schedule.command('show').argument('<id>', 'schedule id').description('Show a schedule').action(async (id: string, _opts: unknown, cmd: Command) => {
    await runRecord(ctx, cmd, async () => (await ctx.api(cmd)).get<Schedule>(`/remote_execution/schedules/${enc(id)}`), (s) => Object.entries(s));
  });
  withScheduleOptions(withTargetOptions(schedule.command('create').description('Schedule an action: rex schedule create package update package=nginx --hostgroup web --cron "0 2 * * 6" --tz UTC')))
    .argument('<namespace>', 'agent')
    .argument('<action>', 'action')
    .argument('[arguments...]', 'inputs as key=value')
    .action(async (namespace: string, action: string, args: string[], opts: ScheduleOptions, cmd: Command) => {
      if (opts.at === undefined && opts.cron === undefined) throw new CliError(EXIT.USAGE, 'schedule create: give --at TIME or --cron LINE --tz ZONE');
      const api = await ctx.api(cmd);
      const body = { job: { namespace, action, arguments: await parseArguments(api, namespace, action, args), targeting: (await targeting(api, opts, true))!, ...scheduleBody(opts) } };
      const created = await api.post<Job>('/remote_execution/jobs', body);
      done(ctx, cmd, created, `Schedule ${created.schedule_id} created; its first job is ${created.id}.`);
    });
  withScheduleOptions(withTargetOptions(schedule.command('update').argument('<id>', 'schedule id').description('Change a schedule\'s timing, targeting or description'))).action(async (id: string, opts: ScheduleOptions, cmd: Command) => {
    const api = await ctx.api(cmd);
    const body = { targeting: await targeting(api, opts, false), ...scheduleBody(opts) };
    const updated = await api.put<Schedule>(`/remote_execution/schedules/${enc(id)}`, body);
    done(ctx, cmd, updated, `Schedule ${updated.id} updated.`);
  });
  for (const [verb, method, description] of [['enable', 'post', 'Enable a schedule'], ['disable', 'post', 'Disable a schedule: its future runs do not start'], ['delete', 'delete', 'Delete a schedule']] as const) {
    schedule.command(verb).argument('<id>', 'schedule id').description(description).action(async (id: string, _opts: unknown, cmd: Command) => {
      const api = await ctx.api(cmd);
      const body = method === 'delete' ? await api.delete<Schedule>(`/remote_execution/schedules/${enc(id)}`) : await api.post<Schedule>(`/remote_execution/schedules/${enc(id)}/${verb}`);
      done(ctx, cmd, body, `Schedule ${id} ${verb === 'delete' ? 'deleted' : `${verb}d`}.`);
    });
  }
}

function registerNamespaceCommands(program: Command, ctx: Context): void {
  const namespace = program.command('namespace').alias('namespaces').description('Agents and their actions (DDL) from the reachable proxies');
  const fetchAll = async (cmd: Command, proxy?: string) => (await ctx.api(cmd)).get<{ results: Namespace[] }>('/remote_execution/namespaces', { smart_proxy_id: proxy });
  namespace.command('list').option('--smart-proxy-id <id>', 'only the agents of this proxy').description('List agents and their actions').action(async (opts: { smartProxyId?: string }, cmd: Command) => {
    const body = await fetchAll(cmd, opts.smartProxyId);
    if (ctx.json(cmd)) return printJson(ctx.io, body);
    printTable(ctx.io, body.results, [['namespace', (n) => n.name], ['version', (n) => n.version], ['actions', (n) => n.actions.map((a) => a.name)], ['description', (n) => n.description]]);
  });
  namespace.command('describe').argument('<agent>', 'namespace, e.g. package').description('An agent\'s DDL, like mco plugin doc').action(async (agent: string, _opts: unknown, cmd: Command) => {
    const found = (await fetchAll(cmd)).results.find((n) => n.name === agent);
    if (!found) throw new CliError(EXIT.USAGE, `namespace ${agent}: not offered by any reachable proxy (rex namespace list shows those that are)`);
    if (ctx.json(cmd)) return printJson(ctx.io, found);
    const out = (line = '') => writeLine(ctx.io.out, line);
    out(`${found.name}`);
    out('='.repeat(found.name.length));
    out();
    out(found.description);
    out();
    out(`      Version: ${found.version}`);
    out(`      Timeout: ${found.timeout}`);
    out();
    out('ACTIONS:');
    out('========');
    out(`   ${found.actions.map((a) => a.name).join(', ')}`);
    for (const action of found.actions) {
      out();
      out(`   ${action.name} action:`);
      out(`   ${'-'.repeat(action.name.length + 8)}`);
      out(`       ${action.description}`);
      out();
      out('       INPUT:');
      const inputs = action.inputs as DdlInputDto[];
      if (inputs.length === 0) out('           This action does not have any inputs');
      for (const input of inputs) {
        out(`           ${input.name}:`);
        out(`              Description: ${input.description}`);
        out(`                   Prompt: ${input.prompt}`);
        out(`                     Type: ${input.type}${input.puppet_type ? ` (${input.puppet_type})` : ''}`);
        out(`                 Optional: ${input.optional}`);
        if (input.validation) out(`               Validation: ${input.validation}`);
        if (input.maxlength) out(`                   Length: ${input.maxlength}`);
        if (input.list.length > 0) out(`                  Options: ${input.list.join(', ')}`);
        if (input.default_json) out(`                  Default: ${input.default_json}`);
        if (input.sensitive) out('                Sensitive: true');
        out();
      }
      out('       OUTPUT:');
      const outputs = action.outputs as Array<{ name: string; description: string; display_as: string; default_json: string }>;
      for (const output of outputs) {
        out(`           ${output.name}:`);
        out(`              Description: ${output.description}`);
        out(`               Display As: ${output.display_as}`);
        if (output.default_json) out(`            Default Value: ${output.default_json}`);
        out();
      }
    }
  });
}
