import type { AuditDto, FilterDto, PermissionDto, RoleDto, TokenDto, UserDto } from '@common/users';
import { api, type ListEnvelope } from '../shared/http';

export interface PageQuery {
  search?: string;
  page: number;
  per_page: number;
}

/** What a user form sends (`PUT`/`POST /users` wrap it as `{ user }`). */
export interface UserFields {
  login?: string;
  password?: string;
  current_password?: string;
  admin?: boolean;
  mail?: string | null;
  firstname?: string | null;
  lastname?: string | null;
  disabled?: boolean;
  role_ids?: number[];
}

const id = (v: string | number) => encodeURIComponent(String(v));

export const listUsers = (q: PageQuery) => api<ListEnvelope<UserDto>>('GET', '/users', { query: { ...q } });
export const getUser = (user: string | number) => api<UserDto>('GET', `/users/${id(user)}`);
export const createUser = (user: UserFields) => api<UserDto>('POST', '/users', { body: { user } });
export const updateUser = (user: string | number, fields: UserFields) => api<UserDto>('PUT', `/users/${id(user)}`, { body: { user: fields } });
export const deleteUser = (user: string | number) => api<UserDto>('DELETE', `/users/${id(user)}`);

export const listTokens = (user: string | number, q: PageQuery) => api<ListEnvelope<TokenDto>>('GET', `/users/${id(user)}/personal_access_tokens`, { query: { page: q.page, per_page: q.per_page } });
export const createToken = (user: string | number, token: { name: string; expires_at?: string | null }) =>
  api<TokenDto>('POST', `/users/${id(user)}/personal_access_tokens`, { body: { personal_access_token: token } });
export const revokeToken = (user: string | number, token: number) => api<TokenDto>('DELETE', `/users/${id(user)}/personal_access_tokens/${token}`);

export const listRoles = (q: PageQuery) => api<ListEnvelope<RoleDto>>('GET', '/roles', { query: { ...q } });
export const getRole = (role: string | number) => api<RoleDto>('GET', `/roles/${id(role)}`);
export const createRole = (role: { name: string; description?: string | null }) => api<RoleDto>('POST', '/roles', { body: { role } });
export const cloneRole = (role: string | number, copy: { name: string }) => api<RoleDto>('POST', `/roles/${id(role)}/clone`, { body: { role: copy } });
export const deleteRole = (role: string | number) => api<RoleDto>('DELETE', `/roles/${id(role)}`);

export const roleFilters = (role: string | number, q: PageQuery) => api<ListEnvelope<FilterDto>>('GET', `/roles/${id(role)}/filters`, { query: { ...q } });
export const createFilter = (filter: { role_id: number; permissions: string[]; search: string | null }) => api<FilterDto>('POST', '/filters', { body: { filter } });
export const updateFilter = (filter: number, fields: { permissions: string[]; search: string | null }) => api<FilterDto>('PUT', `/filters/${filter}`, { body: { filter: fields } });
export const deleteFilter = (filter: number) => api<FilterDto>('DELETE', `/filters/${filter}`);
export const permissions = () => api<ListEnvelope<PermissionDto> & { filter_search_keys?: unknown }>('GET', '/permissions');

export const listAudits = (q: PageQuery) => api<ListEnvelope<AuditDto>>('GET', '/audits', { query: { ...q } });
