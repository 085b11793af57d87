import type { JobTemplateDto, RunTemplateRequest, TemplateInput } from '@common/job-templates';
import type { CreateJobRequest, Job, Targeting } from '@common/jobs';
import type { DdlAction__Output } from '@protos/generated/rex/proxy/v1/DdlAction';
import { parseExact, stringifyExact } from '@protos/json-numbers';
import { asTemplateRunner, coversAction, coversTemplate, hasPermission, requirePermission, type CurrentUser } from '../auth/abilities';
import { auditContext, type AuditEntry } from '../audit/audit.service';
import { AppError } from '../errors';
import type { ValidateArguments } from '../jobs/job-invocation.service';
import { SENSITIVE_MASK } from '../jobs/sensitive-arguments';
import type { JobTemplateFields, JobTemplateRepository, JobTemplateRow } from './job-template.repository';

/** A template as written to the API (arguments and defaults with their exact numbers). */
export interface JobTemplateInput {
  name: string;
  description_format?: string;
  namespace: string;
  action: string;
  arguments?: Record<string, unknown>;
  inputs?: TemplateInput[];
  targeting?: Targeting;
  batch_size?: number;
  concurrency_level?: number;
  timeout?: number;
}

export interface JobTemplateServiceDeps {
  repo: JobTemplateRepository;
  catalog: { findAction(namespace: string, action: string, viewer?: CurrentUser): Promise<{ action: DdlAction__Output }> };
  validateArguments: ValidateArguments;
  jobs: { create(user: CurrentUser, body: Omit<CreateJobRequest['job'], 'scheduling' | 'recurrence' | 'targeting_type'>, via?: { template?: { id: number; name: string } }): Promise<Job> };
  audit: { record(entry: AuditEntry): Promise<void> };
  clock: () => Date;
}

const PLACEHOLDER = /%\{([^}]*)\}/g;
const SENSITIVE_RULE = 'sensitive, never stored';
const SENSITIVE_MESSAGE = 'is a sensitive input of the action, whose values are never stored: make it an input without a default and give it at each run';

function unprocessable(input: string, rule: string, message: string): AppError {
  return new AppError('INVALID_ARGUMENT', `${input}: ${message}`, { httpStatus: 422, details: { input, rule } });
}

/** The action's DDL narrowed to some inputs: a value is checked by its own input's rules only. */
const only = (ddl: DdlAction__Output, names: string[]): DdlAction__Output => ({ ...ddl, inputs: ddl.inputs.filter((i) => names.includes(i.name)) });

function toDto(t: JobTemplateRow): JobTemplateDto {
  return {
    id: t.id,
    name: t.name,
    description_format: t.descriptionFormat,
    namespace: t.namespace,
    action: t.action,
    arguments: parseExact(t.arguments) as Record<string, unknown>,
    inputs: parseExact(t.inputs) as TemplateInput[],
    targeting: t.targeting ? (JSON.parse(t.targeting) as Targeting) : null,
    batch_size: t.batchSize,
    concurrency_level: t.concurrencyLevel,
    timeout: t.timeoutS,
    created_at: t.createdAt.toISOString(),
    updated_at: t.updatedAt.toISOString(),
  };
}

/**
 * Job templates (issue #19), as Foreman REX has them, typed by the DDL: a template is checked
 * against its action's DDL when it is saved (each input names a DDL input of the same type, each
 * default and fixed argument passes that input's rules, every required DDL input is covered), and a
 * run checks the given inputs the same way before the job is created as any other (the caller's
 * create_jobs filters apply to the action and hosts, or its run_job_templates filters for the
 * template's name: abilities.ts rule 6). Administrators manage templates.
 */
export function createJobTemplateService(deps: JobTemplateServiceDeps) {
  const { repo } = deps;

  function requireAdmin(user: CurrentUser, doing: string): void {
    if (!user.admin) throw new AppError('PERMISSION_DENIED', `access denied: only administrators may ${doing}`, { details: { missing_permissions: ['admin'] } });
  }

  const notFound = (idOrName: string) => new AppError('NOT_FOUND', `job template not found by id or name '${idOrName}'`);

  async function find(idOrName: string): Promise<JobTemplateRow> {
    const t = /^\d+$/.test(idOrName) ? await repo.byId(Number(idOrName)) : await repo.byName(idOrName);
    if (!t) throw notFound(idOrName);
    return t;
  }

  /** Checks a template against its action's DDL; answers the fields to store. */
  async function checked(user: CurrentUser, input: JobTemplateInput): Promise<JobTemplateFields> {
    const ddl = (await deps.catalog.findAction(input.namespace, input.action, user)).action;
    const inputs = input.inputs ?? [];
    const fixed = input.arguments ?? {};
    const seen = new Set<string>();
    for (const i of inputs) {
      const where = `inputs.${i.name}`;
      if (seen.has(i.name)) throw unprocessable(where, 'unique', 'is declared twice');
      seen.add(i.name);
      const ddlInput = ddl.inputs.find((d) => d.name === i.name);
      if (!ddlInput) throw unprocessable(where, 'DDL input', `is not an input of ${input.namespace}.${input.action}; it has ${ddl.inputs.map((d) => d.name).join(', ') || 'none'}`);
      if (ddlInput.type !== i.type) throw unprocessable(where, 'DDL type', `has type ${i.type}, the DDL says ${ddlInput.type}`);
      if (Object.hasOwn(fixed, i.name)) throw unprocessable(where, 'not fixed', 'is both an input and a fixed argument');
      if (ddlInput.sensitive && i.default !== undefined) throw unprocessable(`${where}.default`, SENSITIVE_RULE, SENSITIVE_MESSAGE);
      if (i.default !== undefined) checkValues(ddl, { [i.name]: i.default }, (name) => `inputs.${name}.default`);
    }
    // A sensitive value is never stored (jobs/sensitive-arguments.ts); a template is read by every
    // view_jobs user, so it may only ask for one at each run.
    for (const name of Object.keys(fixed)) {
      if (ddl.inputs.some((d) => d.name === name && d.sensitive)) throw unprocessable(`arguments.${name}`, SENSITIVE_RULE, SENSITIVE_MESSAGE);
    }
    checkValues(ddl, fixed, (name) => `arguments.${name}`);
    for (const d of ddl.inputs) {
      if (d.optional || Object.hasOwn(fixed, d.name)) continue;
      const i = inputs.find((x) => x.name === d.name);
      if (!i || (!i.required && i.default === undefined)) throw unprocessable(`inputs.${d.name}`, 'required by the DDL', `the DDL requires ${d.name}: make it a required input, give it a default, or fix it in arguments`);
    }
    for (const [, name] of (input.description_format ?? '').matchAll(PLACEHOLDER)) {
      if (!seen.has(name) && !Object.hasOwn(fixed, name)) throw unprocessable('description_format', 'known placeholder', `%{${name}} names no input or argument of the template`);
    }
    return {
      name: input.name,
      descriptionFormat: input.description_format ?? '',
      namespace: input.namespace,
      action: input.action,
      arguments: stringifyExact(fixed),
      inputs: stringifyExact(inputs),
      targeting: input.targeting ? JSON.stringify(input.targeting) : null,
      batchSize: input.batch_size ?? null,
      concurrencyLevel: input.concurrency_level ?? null,
      timeoutS: input.timeout ?? null,
    };
  }

  /** Each value by its own DDL input's rules; a 422 names it where the template writes it. */
  function checkValues(ddl: DdlAction__Output, values: Record<string, unknown>, where: (name: string) => string): void {
    for (const [name, value] of Object.entries(values)) {
      if (!ddl.inputs.some((d) => d.name === name)) throw unprocessable(where(name), 'DDL input', `is not an input of the action; it has ${ddl.inputs.map((d) => d.name).join(', ') || 'none'}`);
      try {
        deps.validateArguments(only(ddl, [name]), { [name]: value });
      } catch (error) {
        if (error instanceof AppError) throw unprocessable(where(name), String((error.details as { rule?: string } | undefined)?.rule ?? 'DDL'), error.message);
        throw error;
      }
    }
  }

  /** view_jobs reads every template; run_job_templates alone reads the templates it may run. */
  function readable(user: CurrentUser, doing: string): (t: { name: string }) => boolean {
    if (hasPermission(user, 'view_jobs')) return () => true;
    if (hasPermission(user, 'run_job_templates')) return (t) => coversTemplate(user, t.name);
    requirePermission(user, 'view_jobs', doing);
    return () => false;
  }

  async function audit(user: CurrentUser, action: string, t: { id: number; name: string }, changes: Record<string, unknown>): Promise<void> {
    await deps.audit.record({ user, action, object: { type: 'JobTemplate', id: t.id, name: t.name }, changes, ...auditContext(user) });
  }

  return {
    async list(user: CurrentUser): Promise<{ total: number; subtotal: number; results: JobTemplateDto[] }> {
      const mayRead = readable(user, 'listing job templates');
      const all = (await repo.list()).map(toDto).filter(mayRead);
      return { total: all.length, subtotal: all.length, results: all };
    },

    async get(user: CurrentUser, idOrName: string): Promise<JobTemplateDto> {
      const mayRead = readable(user, 'reading job templates');
      const t = await find(idOrName);
      // Not readable answers as unknown: a name one may not run is not confirmed to exist.
      if (!mayRead(t)) throw notFound(idOrName);
      return toDto(t);
    },

    async create(user: CurrentUser, input: JobTemplateInput): Promise<JobTemplateDto> {
      requireAdmin(user, 'create job templates');
      if (await repo.byName(input.name)) throw new AppError('ALREADY_EXISTS', `job_template.name: a job template named '${input.name}' exists`, { details: { fields: [{ field: 'job_template.name', rule: 'unique' }] } });
      const fields = await checked(user, input);
      const id = await repo.create(fields, deps.clock());
      const dto = toDto((await repo.byId(id))!);
      await audit(user, 'create', dto, { namespace: dto.namespace, action: dto.action, inputs: dto.inputs.map((i) => i.name) });
      return dto;
    },

    async update(user: CurrentUser, idOrName: string, input: JobTemplateInput): Promise<JobTemplateDto> {
      requireAdmin(user, 'change job templates');
      const before = await find(idOrName);
      const other = await repo.byName(input.name);
      if (other && other.id !== before.id) throw new AppError('ALREADY_EXISTS', `job_template.name: a job template named '${input.name}' exists`, { details: { fields: [{ field: 'job_template.name', rule: 'unique' }] } });
      await repo.update(before.id, await checked(user, input), deps.clock());
      const dto = toDto((await repo.byId(before.id))!);
      await audit(user, 'update', dto, { namespace: dto.namespace, action: dto.action, inputs: dto.inputs.map((i) => i.name) });
      return dto;
    },

    async remove(user: CurrentUser, idOrName: string): Promise<JobTemplateDto> {
      requireAdmin(user, 'delete job templates');
      const t = await find(idOrName);
      await repo.remove(t.id);
      await audit(user, 'destroy', t, {});
      return toDto(t);
    },

    /** A job from the template: its inputs checked by type and DDL (422 naming the input), then created as any job. */
    async run(user: CurrentUser, idOrName: string, body: RunTemplateRequest): Promise<Job> {
      const t = toDto(await find(idOrName));
      if (!coversTemplate(user, t.name) && !coversAction(user, 'create_jobs', t.namespace, t.action)) {
        // A template the caller may not read answers as an unknown one, as `get` does: a 403 here
        // would confirm that a name (or id) it may not run exists.
        if (!hasPermission(user, 'view_jobs') && hasPermission(user, 'run_job_templates')) throw notFound(idOrName);
        // Named as the caller asked for it: its name and action are not confirmed to whom may not read it.
        throw new AppError('PERMISSION_DENIED', `access denied: running job template '${idOrName}' needs run_job_templates for it (or create_jobs for its action)`, { details: { missing_permissions: ['run_job_templates'] } });
      }
      const runner = asTemplateRunner(user, t);
      const given = body.inputs ?? {};
      for (const name of Object.keys(given)) {
        if (!t.inputs.some((i) => i.name === name)) throw unprocessable(`inputs.${name}`, 'template input', `is not an input of template '${t.name}'; it has ${t.inputs.map((i) => i.name).join(', ') || 'none'}`);
      }
      const values: Record<string, unknown> = {};
      for (const i of t.inputs) {
        if (Object.hasOwn(given, i.name)) values[i.name] = given[i.name];
        else if (i.default !== undefined) values[i.name] = i.default;
        else if (i.required) throw unprocessable(`inputs.${i.name}`, 'required', `is required by template '${t.name}'${i.description ? ` (${i.description})` : ''}`);
      }
      const ddl = (await deps.catalog.findAction(t.namespace, t.action, user)).action;
      checkValues(ddl, values, (name) => `inputs.${name}`);
      const targeting = body.targeting ?? t.targeting ?? undefined;
      if (!targeting) throw new AppError('INVALID_ARGUMENT', `targeting: template '${t.name}' has no default targeting; give one`, { details: { fields: [{ field: 'targeting', rule: 'required' }] } });
      const args = { ...t.arguments, ...values };
      // The description is stored and shown to every viewer: a sensitive input is filled with the mask.
      const sensitive = new Set(ddl.inputs.filter((d) => d.sensitive).map((d) => d.name));
      const text = (name: string) => (sensitive.has(name) ? SENSITIVE_MASK : typeof args[name] === 'string' ? (args[name] as string) : stringifyExact(args[name]));
      const description = body.description ?? (t.description_format ? t.description_format.replace(PLACEHOLDER, (_m, name: string) => (Object.hasOwn(args, name) ? text(name) : '')) : t.name);
      const job = await deps.jobs.create(runner, {
        namespace: t.namespace,
        action: t.action,
        arguments: args,
        targeting,
        description: description.slice(0, 255),
        ...(t.batch_size !== null ? { batch_size: t.batch_size } : {}),
        ...(t.concurrency_level !== null ? { concurrency_level: t.concurrency_level } : {}),
        ...(t.timeout !== null ? { timeout: t.timeout } : {}),
      }, { template: { id: t.id, name: t.name } });
      await audit(user, 'run', t, { job_id: job.id, inputs: Object.keys(values) });
      return job;
    },
  };
}

export type JobTemplateService = ReturnType<typeof createJobTemplateService>;
