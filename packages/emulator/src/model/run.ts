/**
 * Run records as the emulator stores them (upstream `model/run.go`, `model/task.go`): one record per
 * run, rewritten on every lifecycle report, and its specs kept apart (written once).
 */

import type { KindReader } from "../storage/store.js";
import type { StorageState } from "./experiment.js";

export const RUNS = "runs" as const;

export const RUNTIME_STATES = [
  "RUNTIME_STATE_UNSPECIFIED",
  "PENDING",
  "RUNNING",
  "SUCCEEDED",
  "SKIPPED",
  "FAILED",
  "CANCELING",
  "CANCELED",
  "PAUSED",
] as const;

export type RuntimeState =
  | "RUNTIME_STATE_UNSPECIFIED"
  | "PENDING"
  | "RUNNING"
  | "SUCCEEDED"
  | "SKIPPED"
  | "FAILED"
  | "CANCELING"
  | "CANCELED"
  | "PAUSED";

export interface StateEntry {
  update_time: number;
  state: RuntimeState;
}

/** A stored task row (one Argo node); `pod_name` is the node id used to match reports. */
export interface TaskRow {
  task_id: string;
  pod_name: string;
  display_name: string;
  create_time: number;
  start_time: number;
  end_time: number;
  state: RuntimeState;
  state_history: StateEntry[];
  child_tasks: string[];
  /** Argo node type (not reported by the real server). */
  node_type?: NodeType;
  task_key?: string;
  artifacts?: string[];
}

export type NodeType = "DAG" | "Pod" | "TaskGroup";
export type WorkflowPhase = "Running" | "Succeeded" | "Failed";

export interface RuntimeConfigRecord {
  parameters?: Record<string, unknown>;
  pipeline_root?: string;
}

export interface RunRecord {
  run_id: string;
  experiment_id: string;
  display_name: string;
  description: string;
  /** The experiment's namespace at creation ("" in single-user mode). */
  namespace: string;
  storage_state: StorageState;
  /** Set when the run was created from a pipeline version (resolved ids). */
  pipeline_id: string;
  pipeline_version_id: string;
  /** The pipeline version's name (v1 `pipeline_spec.pipeline_name`). */
  pipeline_name: string;
  /** The run was created from an inline spec (kept in `run_specs`, echoed as `pipeline_spec`). */
  has_inline_spec?: boolean;
  template_type: "v2" | "v1";
  runtime_config?: RuntimeConfigRecord;
  service_account: string;
  created_at: number;
  scheduled_at: number;
  finished_at: number;
  state: RuntimeState;
  state_history: StateEntry[];
  recurring_run_id: string;
  plugins_input?: Record<string, unknown>;
  tasks: TaskRow[];
  workflow_name: string;
  /** Phase of the last workflow report; absent before the first report. */
  workflow_phase?: WorkflowPhase;
  retry_generation: number;
  /** v1beta1 `pipeline_spec.parameters` as sent. */
  v1_parameters?: { name: string; value: string }[];
  /** v1beta1 run metrics reported with `:reportMetrics`. */
  metrics?: { name: string; node_id: string; number_value: number; format: string }[];
}

/**
 * The specs of a run, stored apart from the run record: the record is rewritten on every lifecycle
 * report, the specs only once.
 */
export interface RunSpecRecord {
  run_id: string;
  /** The pipeline spec (IR) the run executes, or the Argo workflow for v1 templates. */
  spec: Record<string, unknown>;
  /** The inline `pipeline_spec` Struct as sent (runs created from a spec). */
  inline_spec?: Record<string, unknown>;
}

export const RUN_SPECS = "run_specs" as const;

export function runSpecOf(
  store: KindReader<{ [RUN_SPECS]: RunSpecRecord }>,
  runId: string,
): RunSpecRecord | undefined {
  return store.get(RUN_SPECS, runId);
}
