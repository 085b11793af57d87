/**
 * REST shapes of users, roles, filters, personal access tokens and audits (`/api/v2/users`,
 * `/roles`, `/filters`, `/permissions`, `/users/:id/personal_access_tokens`, `/audits`), with
 * Foreman's field names, shared by the server and the web UI.
 */

export interface NamedRef {
  id: number;
  name: string;
}

/** A user as the API shows it; never the password hash. */
export interface UserDto {
  id: number;
  login: string;
  firstname: string | null;
  lastname: string | null;
  mail: string | null;
  admin: boolean;
  disabled: boolean;
  roles: NamedRef[];
  organizations: NamedRef[];
  locations: NamedRef[];
  created_at: string;
  updated_at: string;
}

/** `GET /current_user`: the caller, with the names of the permissions it holds (any conditions). */
export interface CurrentUserDto extends UserDto {
  permissions: string[];
}

export interface RoleDto {
  id: number;
  name: string;
  description: string | null;
  builtin: boolean;
  /** Built-in roles are locked: clone one to change it. */
  locked: boolean;
  cloned_from_id: number | null;
  filters: Array<{ id: number; search: string | null; permissions: string[] }>;
  users_count: number;
  created_at: string;
  updated_at: string;
}

/** A permission a filter may grant (`GET /permissions`). */
export interface PermissionDto {
  id: number;
  name: string;
  resource_type: string;
  description: string;
}

export interface FilterDto {
  id: number;
  search: string | null;
  /** True when the filter has no search: its permissions reach everything. */
  unlimited: boolean;
  role: NamedRef;
  permissions: Array<Pick<PermissionDto, 'id' | 'name' | 'resource_type'>>;
  created_at: string;
  updated_at: string;
}

/** A personal access token; its secret (`token_value`) only in the answer that created it. */
export interface TokenDto {
  id: number;
  user_id: number;
  name: string;
  expires_at: string | null;
  last_used_at: string | null;
  active: boolean;
  revoked: boolean;
  created_at: string;
  updated_at: string;
  token_value?: string;
}

/** An audit entry as `GET /audits` shows it. */
export interface AuditDto {
  id: number;
  created_at: string;
  user_id: number | null;
  user_name: string | null;
  action: string;
  auditable_type: string;
  auditable_id: number | null;
  auditable_name: string | null;
  audited_changes: Record<string, unknown> | null;
  remote_address: string | null;
  request_uuid: string | null;
}
