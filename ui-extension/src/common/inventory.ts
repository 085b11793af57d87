/**
 * REST shapes of the inventory (`/api/v2/hosts`, `/hostgroups`, `/smart_proxies`) as the web UI
 * reads them. The server's repositories produce these field names (Foreman's).
 */

export interface HostDto {
  id: number;
  name: string;
  hostgroup_id: number | null;
  hostgroup_name: string | null;
  hostgroup_title: string | null;
  smart_proxy_id: number | null;
  smart_proxy_name: string | null;
  organization_id: number | null;
  organization_name: string | null;
  location_id: number | null;
  location_name: string | null;
  last_seen_at: string | null;
  missing_since: string | null;
  created_at: string | null;
  updated_at: string | null;
}

export interface HostgroupDto {
  id: number;
  name: string;
  title: string;
  parent_id: number | null;
  ancestry: string | null;
  created_at: string;
  updated_at: string;
}

/** `GET /hostgroups` and `/hostgroups/:id`: a hostgroup with the number of its own hosts (not its descendants') the caller may see. */
export interface HostgroupWithCountDto extends HostgroupDto {
  hosts_count: number;
}

export interface SmartProxyDto {
  id: number;
  name: string;
  url: string;
  features: string[];
  capabilities: string[];
  transport: string | null;
  /** `online`, `offline` or `unknown`: this instance's live check when it has made one, else the stored one. */
  status: string;
  /** The last contact with the proxy (seconds old while it answers). */
  last_seen_at: string | null;
  /** When this instance last checked the proxy; null before its first check. */
  status_checked_at: string | null;
  /** Why the last check failed; null while it answers. */
  status_reason: string | null;
  demo: boolean;
  version: string | null;
  created_at: string;
  updated_at: string;
}

/** An input of an action's DDL as `/remote_execution/namespaces` lists it ('' / 0 / [] mean none). */
export interface DdlInputDto {
  name: string;
  prompt: string;
  description: string;
  type: string;
  optional: boolean;
  validation: string;
  maxlength: number;
  list: string[];
  default_json: string;
  sensitive?: boolean;
  /**
   * The Puppet type of a Puppet Task parameter (`Optional[String[1]]`); when set, values are checked
   * against it and `type`/`validation` are only hints. '' (or absent) for MCollective/Choria DDLs.
   */
  puppet_type?: string;
}

export interface DdlOutputDto {
  name: string;
  description: string;
  display_as: string;
  type: string;
  default_json: string;
}

export interface DdlAggregateDto {
  function: string;
  output: string;
  args_json: string;
}
