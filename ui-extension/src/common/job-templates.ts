import type { Targeting } from './jobs';

/** A value the user gives when running a template; `name` is the action's DDL input it fills. */
export interface TemplateInput {
  name: string;
  /** The DDL input's type (string, integer, float, number, boolean, list, hash, array). */
  type: string;
  description?: string;
  required?: boolean;
  default?: unknown;
}

export interface JobTemplateDto {
  id: number;
  name: string;
  /** `Restart %{service}`: each `%{input}` is replaced by the value it runs with. */
  description_format: string;
  namespace: string;
  action: string;
  /** Fixed arguments: every run has them. */
  arguments: Record<string, unknown>;
  inputs: TemplateInput[];
  targeting: Targeting | null;
  batch_size: number | null;
  concurrency_level: number | null;
  timeout: number | null;
  created_at: string;
  updated_at: string;
}

export interface RunTemplateRequest {
  inputs?: Record<string, unknown>;
  /** Without it the template's own targeting; one of the two is needed. */
  targeting?: Targeting;
  description?: string;
}
