import type { Command } from 'commander';
import type { Context } from '../context';
import { CliError, EXIT } from '../exit-codes';
import { printJson, printTable, writeLine } from '../output';
import { done, enc, listQuery, runList, runRecord, withListOptions, type ListOptions } from './common';

type Row = Record<string, unknown>;
const ids = (value: string | undefined) => (value === undefined ? undefined : value.split(',').filter(Boolean).map((v) => {
  if (!/^\d+$/.test(v)) throw new CliError(EXIT.USAGE, `ids: must be comma-separated whole numbers (got ${JSON.stringify(value)})`);
  return Number(v);
}));

interface UserOptions {
  login?: string;
  mail?: string;
  firstname?: string;
  lastname?: string;
  admin?: boolean;
  disabled?: boolean;
  roleIds?: string;
  organizationIds?: string;
  locationIds?: string;
  askPassword?: boolean;
}

function withUserOptions(cmd: Command): Command {
  return cmd
    .option('--mail <address>', 'e-mail address')
    .option('--firstname <name>', 'first name')
    .option('--lastname <name>', 'last name')
    .option('--admin', 'administrator')
    .option('--no-admin', 'not an administrator')
    .option('--disabled', 'cannot log in')
    .option('--no-disabled', 'can log in')
    .option('--role-ids <ids>', 'comma-separated role ids')
    .option('--organization-ids <ids>', 'comma-separated organization ids')
    .option('--location-ids <ids>', 'comma-separated location ids')
    .option('--set-password', 'prompt for the user\'s new password');
}

async function userBody(ctx: Context, opts: UserOptions & { setPassword?: boolean }, login?: string): Promise<Row> {
  const body: Row = { login, mail: opts.mail, firstname: opts.firstname, lastname: opts.lastname, admin: opts.admin, disabled: opts.disabled, role_ids: ids(opts.roleIds), organization_ids: ids(opts.organizationIds), location_ids: ids(opts.locationIds) };
  // The new password is asked, never taken from the command line.
  if (opts.setPassword) body.password = await ctx.io.askSecret('New password: ');
  return Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined));
}

const userColumns: Array<[string, (u: Row) => unknown]> = [['id', (u) => u.id], ['login', (u) => u.login], ['name', (u) => [u.firstname, u.lastname].filter(Boolean).join(' ')], ['mail', (u) => u.mail], ['admin', (u) => u.admin], ['disabled', (u) => u.disabled]];

/** users, tokens, roles, filters, permissions, audits. */
export function registerUserCommands(program: Command, ctx: Context): void {
  const users = program.command('users').alias('user').description('Users (manage_users), and yourself');
  users.command('current').alias('whoami').description('The user the CLI acts as, with roles and permissions').action(async (_opts: unknown, cmd: Command) => {
    await runRecord(ctx, cmd, async () => (await ctx.api(cmd)).get<Row>('/current_user'), (u) => Object.entries(u));
  });
  withListOptions(users.command('list').description('List users')).action(async (opts: ListOptions, cmd: Command) => {
    await runList(ctx, cmd, '/users', listQuery(opts), userColumns);
  });
  users.command('show').argument('<user>', 'id or login').description('Show a user').action(async (id: string, _opts: unknown, cmd: Command) => {
    await runRecord(ctx, cmd, async () => (await ctx.api(cmd)).get<Row>(`/users/${enc(id)}`), (u) => Object.entries(u));
  });
  withUserOptions(users.command('create').argument('<login>', 'login').description('Create a user (the password is prompted)')).action(async (login: string, opts: UserOptions, cmd: Command) => {
    const created = await (await ctx.api(cmd)).post<Row>('/users', { user: await userBody(ctx, { ...opts, setPassword: true }, login) });
    done(ctx, cmd, created, `User ${String(created.login)} created (id ${String(created.id)}).`);
  });
  withUserOptions(users.command('update').argument('<user>', 'id or login').option('--login <login>', 'new login').description('Change a user')).action(async (id: string, opts: UserOptions, cmd: Command) => {
    const updated = await (await ctx.api(cmd)).put<Row>(`/users/${enc(id)}`, { user: await userBody(ctx, opts, opts.login) });
    done(ctx, cmd, updated, `User ${String(updated.login)} updated.`);
  });
  users.command('delete').argument('<user>', 'id or login').description('Delete a user').action(async (id: string, _opts: unknown, cmd: Command) => {
    done(ctx, cmd, await (await ctx.api(cmd)).delete<Row>(`/users/${enc(id)}`), `User ${id} deleted.`);
  });

  const tokens = program.command('tokens').alias('token').description('Personal access tokens (the CLI logs in with one)');
  const userOption = (cmd: Command) => cmd.option('-u, --for-user <user>', 'whose tokens (id or login); yourself by default');
  const owner = async (cmd: Command, forUser: string | undefined) => forUser ?? String((await (await ctx.api(cmd)).get<{ login: string }>('/current_user')).login);
  withListOptions(userOption(tokens.command('list').description('List personal access tokens')), { search: false }).action(async (opts: ListOptions & { forUser?: string }, cmd: Command) => {
    await runList<Row>(ctx, cmd, `/users/${enc(await owner(cmd, opts.forUser))}/personal_access_tokens`, listQuery(opts), [['id', (t) => t.id], ['name', (t) => t.name], ['expires', (t) => t.expires_at], ['last used', (t) => t.last_used_at], ['active', (t) => t.active]]);
  });
  userOption(tokens.command('create').argument('<name>', 'a name for the token').option('--expires-at <time>', 'expiry (ISO 8601)').description('Create a token; its secret is shown this once')).action(async (name: string, opts: { forUser?: string; expiresAt?: string }, cmd: Command) => {
    const created = await (await ctx.api(cmd)).post<Row>(`/users/${enc(await owner(cmd, opts.forUser))}/personal_access_tokens`, { personal_access_token: { name, expires_at: opts.expiresAt } });
    if (ctx.json(cmd)) return printJson(ctx.io, created);
    writeLine(ctx.io.out, `Token ${String(created.id)} created. Its secret (shown only now): ${String(created.token_value)}`);
    writeLine(ctx.io.out, 'Use it with REX_TOKEN, --token, or token: in the config file.');
  });
  userOption(tokens.command('show').argument('<id>', 'token id').description('Show a token (never its secret)')).action(async (id: string, opts: { forUser?: string }, cmd: Command) => {
    await runRecord(ctx, cmd, async () => (await ctx.api(cmd)).get<Row>(`/users/${enc(await owner(cmd, opts.forUser))}/personal_access_tokens/${enc(id)}`), (t) => Object.entries(t));
  });
  userOption(tokens.command('revoke').argument('<id>', 'token id').description('Revoke a token')).action(async (id: string, opts: { forUser?: string }, cmd: Command) => {
    done(ctx, cmd, await (await ctx.api(cmd)).delete<Row>(`/users/${enc(await owner(cmd, opts.forUser))}/personal_access_tokens/${enc(id)}`), `Token ${id} revoked.`);
  });

  const roles = program.command('roles').alias('role').description('Roles and their filters (manage_users)');
  withListOptions(roles.command('list').description('List roles')).action(async (opts: ListOptions, cmd: Command) => {
    await runList<Row>(ctx, cmd, '/roles', listQuery(opts), [['id', (r) => r.id], ['name', (r) => r.name], ['builtin', (r) => r.builtin], ['description', (r) => r.description]]);
  });
  roles.command('show').argument('<role>', 'id or name').description('Show a role').action(async (id: string, _opts: unknown, cmd: Command) => {
    await runRecord(ctx, cmd, async () => (await ctx.api(cmd)).get<Row>(`/roles/${enc(id)}`), (r) => Object.entries(r));
  });
  roles.command('create').argument('<name>', 'role name').option('--description <text>', 'description').description('Create a role').action(async (name: string, opts: { description?: string }, cmd: Command) => {
    const role = await (await ctx.api(cmd)).post<Row>('/roles', { role: { name, description: opts.description } });
    done(ctx, cmd, role, `Role ${String(role.name)} created (id ${String(role.id)}).`);
  });
  roles.command('update').argument('<role>', 'id or name').option('--name <name>', 'new name').option('--description <text>', 'description').description('Change a role').action(async (id: string, opts: { name?: string; description?: string }, cmd: Command) => {
    done(ctx, cmd, await (await ctx.api(cmd)).put<Row>(`/roles/${enc(id)}`, { role: { name: opts.name, description: opts.description } }), `Role ${id} updated.`);
  });
  roles.command('delete').argument('<role>', 'id or name').description('Delete a role').action(async (id: string, _opts: unknown, cmd: Command) => {
    done(ctx, cmd, await (await ctx.api(cmd)).delete<Row>(`/roles/${enc(id)}`), `Role ${id} deleted.`);
  });
  roles.command('clone').argument('<role>', 'id or name').argument('<name>', 'name of the copy').option('--description <text>', 'description').description('Copy a role (built-in roles are locked; copies are editable)').action(async (id: string, name: string, opts: { description?: string }, cmd: Command) => {
    const role = await (await ctx.api(cmd)).post<Row>(`/roles/${enc(id)}/clone`, { role: { name, description: opts.description } });
    done(ctx, cmd, role, `Role ${String(role.name)} created (id ${String(role.id)}).`);
  });
  const filterColumns: Array<[string, (f: Row) => unknown]> = [['id', (f) => f.id], ['role', (f) => f.role_name ?? f.role_id], ['permissions', (f) => (Array.isArray(f.permissions) ? (f.permissions as Array<{ name?: string } | string>).map((p) => (typeof p === 'string' ? p : p.name)) : f.permissions)], ['search', (f) => f.search]];
  withListOptions(roles.command('filters').argument('<role>', 'id or name').description('List a role\'s filters')).action(async (id: string, opts: ListOptions, cmd: Command) => {
    await runList<Row>(ctx, cmd, `/roles/${enc(id)}/filters`, listQuery(opts), filterColumns);
  });

  const filters = program.command('filters').alias('filter').description('Filters: permissions granted to a role, narrowed by a search');
  withListOptions(filters.command('list').option('--role-id <id>', 'only this role\'s filters').description('List filters')).action(async (opts: ListOptions & { roleId?: string }, cmd: Command) => {
    await runList<Row>(ctx, cmd, '/filters', { ...listQuery(opts), role_id: opts.roleId }, filterColumns);
  });
  filters.command('show').argument('<id>', 'filter id').description('Show a filter').action(async (id: string, _opts: unknown, cmd: Command) => {
    await runRecord(ctx, cmd, async () => (await ctx.api(cmd)).get<Row>(`/filters/${enc(id)}`), (f) => Object.entries(f));
  });
  const filterBody = (opts: { roleId?: string; permissions?: string; search?: string }) => ({
    role_id: opts.roleId === undefined ? undefined : Number(opts.roleId),
    permissions: opts.permissions?.split(',').map((p) => p.trim()).filter(Boolean),
    search: opts.search,
  });
  filters.command('create').requiredOption('--role-id <id>', 'role id').requiredOption('--permissions <names>', 'comma-separated permissions (rex permissions list)').option('--search <query>', 'narrowing search, e.g. "hostgroup = web"').description('Grant permissions to a role').action(async (opts: { roleId: string; permissions: string; search?: string }, cmd: Command) => {
    const filter = await (await ctx.api(cmd)).post<Row>('/filters', { filter: filterBody(opts) });
    done(ctx, cmd, filter, `Filter ${String(filter.id)} created.`);
  });
  filters.command('update').argument('<id>', 'filter id').option('--role-id <id>', 'role id').option('--permissions <names>', 'comma-separated permissions').option('--search <query>', 'narrowing search').description('Change a filter').action(async (id: string, opts: { roleId?: string; permissions?: string; search?: string }, cmd: Command) => {
    done(ctx, cmd, await (await ctx.api(cmd)).put<Row>(`/filters/${enc(id)}`, { filter: filterBody(opts) }), `Filter ${id} updated.`);
  });
  filters.command('delete').argument('<id>', 'filter id').description('Delete a filter').action(async (id: string, _opts: unknown, cmd: Command) => {
    done(ctx, cmd, await (await ctx.api(cmd)).delete<Row>(`/filters/${enc(id)}`), `Filter ${id} deleted.`);
  });

  const permissions = program.command('permissions').description('Permissions a filter may grant');
  permissions.command('list').description('List permissions and the filter search keys').action(async (_opts: unknown, cmd: Command) => {
    const body = await (await ctx.api(cmd)).get<{ results: Row[]; filter_search_keys: unknown }>('/permissions');
    if (ctx.json(cmd)) return printJson(ctx.io, body);
    printTable(ctx.io, body.results, [['id', (p) => p.id], ['name', (p) => p.name], ['resource', (p) => p.resource_type], ['description', (p) => p.description]]);
  });

  const audits = program.command('audits').alias('audit').description('Audit entries (your own; all with view_audit_logs)');
  withListOptions(audits.command('list').description('List audit entries, newest first')).action(async (opts: ListOptions, cmd: Command) => {
    await runList<Row>(ctx, cmd, '/audits', listQuery(opts), [['id', (a) => a.id], ['time', (a) => a.created_at], ['user', (a) => a.user_login ?? a.user], ['action', (a) => a.action], ['type', (a) => a.auditable_type], ['object', (a) => a.auditable_id]]);
  });
  audits.command('show').argument('<id>', 'audit id').description('Show an audit entry').action(async (id: string, _opts: unknown, cmd: Command) => {
    await runRecord(ctx, cmd, async () => (await ctx.api(cmd)).get<Row>(`/audits/${enc(id)}`), (a) => Object.entries(a));
  });
}
