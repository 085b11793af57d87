import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import type { JobTemplateDto } from '@common/job-templates';
import type { Job } from '@common/jobs';
import type { Context } from '../context';
import { CliError, EXIT } from '../exit-codes';
import { jobExitCode, waitForJob } from '../job-wait';
import { printJson, writeLine } from '../output';
import { done, enc, runList, runRecord } from './common';

/** The fields a template file holds: what `rex template export` writes and `import` reads. */
const FILE_FIELDS = ['name', 'description_format', 'namespace', 'action', 'arguments', 'inputs', 'targeting', 'batch_size', 'concurrency_level', 'timeout'] as const;

/** A template file (YAML, or JSON which is YAML too) as the API's `job_template`, empty fields left out. */
async function readTemplateFile(file: string): Promise<Record<string, unknown>> {
  let doc: unknown;
  try {
    doc = parseYaml(await readFile(file, 'utf8'));
  } catch (error) {
    throw new CliError(EXIT.USAGE, `${file}: ${(error as Error).message}`);
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new CliError(EXIT.USAGE, `${file}: must be a mapping of template fields (${FILE_FIELDS.join(', ')})`);
  return Object.fromEntries(Object.entries(doc as Record<string, unknown>).filter(([, v]) => v !== null));
}

function toFile(t: JobTemplateDto): Record<string, unknown> {
  return Object.fromEntries(FILE_FIELDS.map((k) => [k, t[k]]).filter(([, v]) => v !== null && !(Array.isArray(v) && v.length === 0) && !(typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0) && v !== ''));
}

const fields = (t: JobTemplateDto): ReadonlyArray<[string, unknown]> => [
  ['Id', t.id], ['Name', t.name], ['Action', `${t.namespace}#${t.action}`], ['Description', t.description_format],
  ['Arguments', JSON.stringify(t.arguments)],
  ['Inputs', t.inputs.map((i) => `${i.name} (${i.type}${i.required ? ', required' : ''}${i.default !== undefined ? `, default ${JSON.stringify(i.default)}` : ''})`).join('; ')],
  ['Targeting', t.targeting ? JSON.stringify(t.targeting) : '(given at run)'], ['Batch size', t.batch_size ?? 'all'],
];

/** `rex template`: job templates, run by name; import and export as YAML. */
export function registerTemplateCommands(program: Command, ctx: Context, setExit: (code: number) => void): void {
  const template = program.command('template').alias('templates').description('Job templates: an action with fixed arguments and typed inputs, run by name');

  template.command('list').description('List job templates').action(async (_opts: unknown, cmd: Command) => {
    await runList<JobTemplateDto>(ctx, cmd, '/job_templates', {}, [['id', (t) => t.id], ['name', (t) => t.name], ['action', (t) => `${t.namespace}#${t.action}`], ['inputs', (t) => t.inputs.map((i) => i.name).join(',')]]);
  });

  template.command('show').argument('<template>', 'id or name').description('Show a job template').action(async (name: string, _opts: unknown, cmd: Command) => {
    const api = await ctx.api(cmd);
    await runRecord(ctx, cmd, () => api.get<JobTemplateDto>(`/job_templates/${enc(name)}`), fields);
  });

  template.command('export').argument('<template>', 'id or name').description('Print a job template as YAML (rex template import reads it back)').action(async (name: string, _opts: unknown, cmd: Command) => {
    const t = await (await ctx.api(cmd)).get<JobTemplateDto>(`/job_templates/${enc(name)}`);
    ctx.io.out.write(toYaml(toFile(t)));
  });

  template.command('import').argument('<file>', 'YAML (or JSON) file with name, namespace, action, inputs, ...').option('--replace', 'replace the template of that name if there is one')
    .description('Create a job template from a file (checked against the action\'s DDL)')
    .action(async (file: string, opts: { replace?: boolean }, cmd: Command) => {
      const body = await readTemplateFile(file);
      const api = await ctx.api(cmd);
      const name = typeof body.name === 'string' ? body.name : undefined;
      let existing: JobTemplateDto | undefined;
      if (opts.replace && name !== undefined) {
        existing = (await api.get<{ results: JobTemplateDto[] }>('/job_templates')).results.find((t) => t.name === name);
      }
      const saved = existing ? await api.put<JobTemplateDto>(`/job_templates/${existing.id}`, { job_template: body }) : await api.post<JobTemplateDto>('/job_templates', { job_template: body });
      done(ctx, cmd, saved, `Job template ${saved.id} (${saved.name}) ${existing ? 'replaced' : 'created'}.`);
    });

  // `create` and `update` are the API's names for what import does; kept for the route table.
  template.command('create').argument('<file>', 'template file').description('Same as import without --replace').action(async (file: string, _opts: unknown, cmd: Command) => {
    const saved = await (await ctx.api(cmd)).post<JobTemplateDto>('/job_templates', { job_template: await readTemplateFile(file) });
    done(ctx, cmd, saved, `Job template ${saved.id} (${saved.name}) created.`);
  });

  template.command('update').argument('<template>', 'id or name').argument('<file>', 'template file').description('Replace a job template with a file\'s').action(async (name: string, file: string, _opts: unknown, cmd: Command) => {
    const saved = await (await ctx.api(cmd)).put<JobTemplateDto>(`/job_templates/${enc(name)}`, { job_template: await readTemplateFile(file) });
    done(ctx, cmd, saved, `Job template ${saved.id} (${saved.name}) replaced.`);
  });

  template.command('delete').argument('<template>', 'id or name').description('Delete a job template').action(async (name: string, _opts: unknown, cmd: Command) => {
    const gone = await (await ctx.api(cmd)).delete<JobTemplateDto>(`/job_templates/${enc(name)}`);
    done(ctx, cmd, gone, `Job template ${gone.id} (${gone.name}) deleted.`);
  });

  template.command('run').argument('<template>', 'id or name').argument('[inputs...]', 'inputs as key=value (JSON values are read as JSON: count=3, force=true)')
    .option('-H, --hosts <ids>', 'comma-separated host ids instead of the template\'s targeting')
    .option('-s, --search <query>', 'hosts matching a search instead of the template\'s targeting')
    .option('-d, --description <text>', 'description instead of the template\'s format')
    .option('-w, --wait', 'follow the job to its end; exit 0 only if every host succeeded')
    .description('Run a job template: rex template run restart-web service=nginx --wait')
    .action(async (name: string, pairs: string[], opts: { hosts?: string; search?: string; description?: string; wait?: boolean }, cmd: Command) => {
      if (opts.hosts !== undefined && opts.search !== undefined) throw new CliError(EXIT.USAGE, 'targeting: give only one of --hosts, --search');
      const inputs: Record<string, unknown> = {};
      for (const pair of pairs) {
        const at = pair.indexOf('=');
        if (at < 1) throw new CliError(EXIT.USAGE, `input ${JSON.stringify(pair)}: must be key=value`);
        const raw = pair.slice(at + 1);
        let value: unknown = raw;
        try {
          value = JSON.parse(raw);
        } catch {
          value = raw;
        }
        inputs[pair.slice(0, at)] = value;
      }
      const targeting = opts.hosts !== undefined ? { host_ids: opts.hosts.split(',').map((h) => Number(h.trim())) } : opts.search !== undefined ? { search: opts.search } : undefined;
      const api = await ctx.api(cmd);
      const job = await api.post<Job>(`/job_templates/${enc(name)}/run`, { inputs, targeting, description: opts.description });
      if (!opts.wait) return done(ctx, cmd, job, `Job ${job.id} ${job.state} on ${job.total_hosts} hosts (${job.description}). Follow it with: rex job wait ${job.id}`);
      if (!ctx.json(cmd)) writeLine(ctx.io.out, `Job ${job.id} ${job.state} on ${job.total_hosts} hosts (${job.description}).`);
      const final = await waitForJob(api, ctx.io, job.id, { lines: !ctx.json(cmd) });
      if (ctx.json(cmd)) printJson(ctx.io, final);
      setExit(jobExitCode(final));
    });
}
