/** One distinct set of arguments an action ran with, as `GET /remote_execution/argument_history` lists it. */
export interface ArgumentHistoryEntry {
  /** The stored remote action (one per namespace, action and canonical arguments). */
  remote_action_id: number;
  arguments: Record<string, unknown>;
  /** Inputs stored as the mask (sensitive): they must be given again. */
  masked: string[];
  /** Runs the caller may see, and the newest of them. */
  run_count: number;
  last_job_id: number;
  last_run_at: string;
}
