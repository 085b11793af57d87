import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { JOB_END_EVENTS, WEBHOOK_EVENTS, type WebhookDeliveryDto, type WebhookDto } from '@common/webhooks';
import type { Context } from '../context';
import { CliError, EXIT } from '../exit-codes';
import { done, enc, listQuery, runList, runRecord, withListOptions, type ListOptions } from './common';

interface WebhookOptions {
  name?: string;
  endpoint?: string;
  events?: string;
  secretFile?: string;
  askSecret?: boolean;
  enable?: boolean;
  disable?: boolean;
}

/** The secret from a file or a prompt: never from the command line, where `ps` shows it. */
async function secretOf(ctx: Context, opts: WebhookOptions): Promise<string | undefined> {
  if (opts.secretFile !== undefined && opts.askSecret) throw new CliError(EXIT.USAGE, '--secret-file/--ask-secret: give one');
  if (opts.secretFile !== undefined) return (await readFile(opts.secretFile, 'utf8')).trim();
  if (opts.askSecret) return ctx.io.askSecret('Webhook secret: ');
  return undefined;
}

function body(opts: WebhookOptions, secret: string | undefined): Record<string, unknown> {
  if (opts.enable && opts.disable) throw new CliError(EXIT.USAGE, '--enable/--disable: give one');
  return {
    name: opts.name,
    url: opts.endpoint,
    secret,
    events: opts.events?.split(',').map((e) => e.trim()).filter(Boolean),
    enabled: opts.enable ? true : opts.disable ? false : undefined,
  };
}

const fields = (w: WebhookDto): ReadonlyArray<[string, unknown]> => [['Id', w.id], ['Name', w.name], ['URL', w.url], ['Events', w.events.join(', ')], ['Enabled', w.enabled], ['Secret', w.secret_set ? '(set)' : '(none)'], ['Updated', w.updated_at]];

function withWebhookOptions(cmd: Command): Command {
  return cmd
    // Not --url: that is rex's own server (a global option).
    .option('--endpoint <url>', 'http:// or https:// URL that receives the POSTs')
    .option('--events <list>', `comma-separated: ${WEBHOOK_EVENTS.join(', ')} (default ${JOB_END_EVENTS.join(', ')})`)
    .option('--secret-file <path>', 'file holding the HMAC-SHA256 secret (16+ characters)')
    .option('--ask-secret', 'prompt for the secret');
}

/** webhooks: endpoints told when a job ends (administrators). */
export function registerWebhookCommands(program: Command, ctx: Context): void {
  const webhooks = program.command('webhooks').alias('webhook').description('Webhooks told when a job ends (administrators)');

  webhooks.command('list').description('List webhooks').action(async (_opts: unknown, cmd: Command) => {
    await runList<WebhookDto>(ctx, cmd, '/webhooks', {}, [['id', (w) => w.id], ['name', (w) => w.name], ['url', (w) => w.url], ['events', (w) => w.events.join(',')], ['enabled', (w) => w.enabled]]);
  });

  withWebhookOptions(webhooks.command('create').argument('<name>', 'webhook name').description('Add a webhook: rex webhooks create ci --endpoint https://ci.example.com/hook --secret-file hook.secret'))
    .action(async (name: string, opts: WebhookOptions, cmd: Command) => {
      const secret = await secretOf(ctx, opts);
      if (secret === undefined) throw new CliError(EXIT.USAGE, 'secret: give --secret-file or --ask-secret');
      const api = await ctx.api(cmd);
      await runRecord(ctx, cmd, () => api.post<WebhookDto>('/webhooks', { webhook: body({ ...opts, name }, secret) }), fields);
    });

  webhooks.command('show').argument('<id>', 'webhook id').description('Show a webhook').action(async (id: string, _opts: unknown, cmd: Command) => {
    const api = await ctx.api(cmd);
    await runRecord(ctx, cmd, () => api.get<WebhookDto>(`/webhooks/${enc(id)}`), fields);
  });

  withWebhookOptions(webhooks.command('update').argument('<id>', 'webhook id').description('Change a webhook'))
    .option('--name <name>', 'new name')
    .option('--enable', 'send deliveries again')
    .option('--disable', 'stop announcing jobs (pending deliveries are still sent)')
    .action(async (id: string, opts: WebhookOptions, cmd: Command) => {
      const secret = await secretOf(ctx, opts);
      const api = await ctx.api(cmd);
      await runRecord(ctx, cmd, () => api.put<WebhookDto>(`/webhooks/${enc(id)}`, { webhook: body(opts, secret) }), fields);
    });

  webhooks.command('delete').argument('<id>', 'webhook id').description('Delete a webhook and its delivery log').action(async (id: string, _opts: unknown, cmd: Command) => {
    const gone = await (await ctx.api(cmd)).delete<WebhookDto>(`/webhooks/${enc(id)}`);
    done(ctx, cmd, gone, `Webhook ${gone.id} (${gone.name}) deleted.`);
  });

  withListOptions(webhooks.command('deliveries').argument('<id>', 'webhook id').description('A webhook\'s deliveries, newest first'), { search: false })
    .action(async (id: string, opts: ListOptions, cmd: Command) => {
      await runList<WebhookDeliveryDto>(ctx, cmd, `/webhooks/${enc(id)}/deliveries`, { page: listQuery(opts).page, per_page: listQuery(opts).per_page }, [
        ['id', (d) => d.id], ['job', (d) => d.job_id ?? ''], ['schedule_run', (d) => d.schedule_run_id ?? ''], ['event', (d) => d.event], ['state', (d) => d.state], ['attempts', (d) => d.attempts], ['status', (d) => d.last_status_code ?? ''], ['error', (d) => d.last_error ?? ''], ['at', (d) => d.last_attempt_at ?? d.created_at],
      ]);
    });
}
