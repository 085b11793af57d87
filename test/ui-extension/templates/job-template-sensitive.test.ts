/**
 * Job templates and sensitive DDL inputs (security review): a sensitive value is never stored
 * (jobs/sensitive-arguments.ts), so a template may neither fix one nor give one a default (the
 * template is readable by every view_jobs user), and a run never writes one into the job's
 * description through a `%{name}` placeholder (the description is shown to every viewer and audited).
 * Fakes for the repository and the jobs service; the DDL validation is the real one.
 */
import type { CreateJobRequest, Job } from '@common/jobs';
import type { DdlAction__Output } from '@protos/generated/rex/proxy/v1/DdlAction';
import type { CurrentUser } from '@server/auth/abilities';
import { AppError } from '@server/errors';
import { validateJobArguments } from '@server/jobs/ddl-arguments';
import { SENSITIVE_MASK } from '@server/jobs/sensitive-arguments';
import type { JobTemplateFields, JobTemplateRepository, JobTemplateRow } from '@server/templates/job-template.repository';
import { createJobTemplateService } from '@server/templates/job-template.service';

const input = (name: string, sensitive: boolean) => ({ name, prompt: name, description: '', type: 'string', optional: false, validation: '', maxlength: 0, list: [], default_json: '', sensitive, puppet_type: '' });
const ddl = { name: 'login', description: '', display: 'always', inputs: [input('user', false), input('password', true)], outputs: [] } as unknown as DdlAction__Output;
const admin = { id: 1, login: 'admin', admin: true, rules: [] } as unknown as CurrentUser;

function stack() {
  const rows: JobTemplateRow[] = [];
  const created: Array<Omit<CreateJobRequest['job'], 'scheduling' | 'recurrence' | 'targeting_type'>> = [];
  const repo = {
    list: async () => rows,
    byId: async (id: number) => rows.find((r) => r.id === id),
    byName: async (name: string) => rows.find((r) => r.name === name),
    create: async (t: JobTemplateFields, now: Date) => {
      rows.push({ ...t, id: rows.length + 1, createdAt: now, updatedAt: now });
      return rows.length;
    },
    update: async () => undefined,
    remove: async () => undefined,
  } as unknown as JobTemplateRepository;
  const service = createJobTemplateService({
    repo,
    catalog: { findAction: async () => ({ action: ddl }) },
    validateArguments: validateJobArguments,
    jobs: {
      create: async (_user, body) => {
        created.push(body);
        return { id: 7, description: body.description } as Job;
      },
    },
    audit: { record: async () => undefined },
    clock: () => new Date('2026-12-06T08:00:00Z'),
  });
  return { service, rows, created };
}

const refusal = async (p: Promise<unknown>): Promise<AppError> => {
  const error = await p.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
};

describe('job templates with a sensitive input', () => {
  it('refuses to fix a sensitive argument or give it a default (422 naming it), storing nothing', async () => {
    const { service, rows } = stack();
    const fixed = await refusal(service.create(admin, { name: 'fixed', namespace: 'acct', action: 'login', arguments: { password: 'hunter2-secret' }, inputs: [{ name: 'user', type: 'string', required: true }] }));
    expect(fixed.httpStatus).toBe(422);
    expect(fixed.details).toMatchObject({ input: 'arguments.password', rule: 'sensitive, never stored' });
    const defaulted = await refusal(service.create(admin, { name: 'defaulted', namespace: 'acct', action: 'login', inputs: [{ name: 'user', type: 'string', required: true }, { name: 'password', type: 'string', default: 'hunter2-secret' }] }));
    expect(defaulted.details).toMatchObject({ input: 'inputs.password.default', rule: 'sensitive, never stored' });
    expect(rows).toEqual([]);
  });

  it('runs with the sensitive value given, but writes the mask, never the value, into the description', async () => {
    const { service, created } = stack();
    await service.create(admin, { name: 'login', description_format: 'Log %{user} in with %{password}', namespace: 'acct', action: 'login', inputs: [{ name: 'user', type: 'string', required: true }, { name: 'password', type: 'string', required: true }], targeting: { host_ids: [1] } });
    await service.run(admin, 'login', { inputs: { user: 'alice', password: 'hunter2-secret' } });
    expect(created).toHaveLength(1);
    expect(created[0].description).toBe(`Log alice in with ${SENSITIVE_MASK}`);
    // The value itself still goes to the job (it splits and keeps it out of storage itself).
    expect(created[0].arguments).toMatchObject({ password: 'hunter2-secret' });
  });
});
