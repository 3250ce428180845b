/**
 * Wire types for experiments, runs and recurring runs, as the v2beta1 / v2 API sends them
 * (snake_case; zero values omitted, so almost every field is optional; int64 values are strings).
 * v1beta1 responses are converted to these shapes by the adapters in src/resources/v1/.
 */
import type { V1ResourceReference, V1ResourceType } from "./v1-pipelines.js";

/** Run and task state (v2beta1 / v2 `RuntimeState`). */
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

/** Experiment / run storage state. */
export type StorageState = "STORAGE_STATE_UNSPECIFIED" | "AVAILABLE" | "ARCHIVED";

/** `google.rpc.Status` as embedded in resources (`error` fields). */
export interface RpcStatus {
  code?: number;
  message?: string;
  details?: Array<Record<string, unknown>>;
}

/** An experiment: a named group of runs in a namespace. */
export interface Experiment {
  /** Always set by the server. */
  experiment_id: string;
  display_name?: string;
  description?: string;
  created_at?: string;
  namespace?: string;
  storage_state?: StorageState;
  /** `1970-01-01T00:00:00Z` when the experiment has no runs. */
  last_run_created_at?: string;
}

/** The wire answer of `GET /experiments` (the client turns it into a `Page<Experiment>`). */
export interface ListExperimentsResponse {
  experiments?: Experiment[];
  total_size?: number;
  next_page_token?: string;
}

/** The pipeline version a run or recurring run uses. */
export interface PipelineVersionReference {
  pipeline_id?: string;
  pipeline_version_id?: string;
}

/** A JSON value (`google.protobuf.Value`). */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** The run's parameter values and pipeline root. */
export interface RuntimeConfig {
  parameters?: Record<string, JsonValue>;
  pipeline_root?: string;
}

/** One entry of `state_history`. */
export interface RuntimeStatus {
  update_time?: string;
  state?: RuntimeState;
  error?: RpcStatus;
}

/** v2beta1 `PipelineTaskDetail` (entries of `run_details.task_details`). */
export interface PipelineTaskDetail {
  run_id?: string;
  task_id?: string;
  display_name?: string;
  create_time?: string;
  start_time?: string;
  end_time?: string;
  executor_detail?: {
    main_job?: string;
    pre_caching_check_job?: string;
    failed_main_jobs?: string[];
    failed_pre_caching_check_jobs?: string[];
  };
  state?: RuntimeState;
  /** int64 as a string. */
  execution_id?: string;
  error?: RpcStatus;
  inputs?: Record<string, { artifact_ids?: string[] }>;
  outputs?: Record<string, { artifact_ids?: string[] }>;
  parent_task_id?: string;
  state_history?: RuntimeStatus[];
  pod_name?: string;
  child_tasks?: Array<{ task_id?: string; pod_name?: string }>;
}

/** v2beta1: the run's task details. */
export interface RunDetails {
  pipeline_context_id?: string;
  pipeline_run_context_id?: string;
  /** v2beta1 up to 2.17.0; removed in the stable v2 API (use `Run.tasks`). */
  task_details?: PipelineTaskDetail[];
}

/** Task state of the stable v2 task API (a task-level set, distinct from `RuntimeState`). */
export type PipelineTaskState =
  | "RUNTIME_STATE_UNSPECIFIED"
  | "RUNNING"
  | "SUCCEEDED"
  | "SKIPPED"
  | "FAILED"
  | "CACHED";

/** v2: the kind of a task in a run's task list. */
export type PipelineTaskType =
  | "TASK_TYPE_UNSPECIFIED"
  | "ROOT"
  | "RUNTIME"
  | "CONDITION_BRANCH"
  | "CONDITION"
  | "LOOP"
  | "EXIT_HANDLER"
  | "IMPORTER"
  | "DAG";

/** v2 `PipelineTask` (entries of `Run.tasks` with `view=FULL`, or of `GET /runs/{id}/tasks`). */
export interface PipelineTask {
  name?: string;
  display_name?: string;
  task_id?: string;
  run_id?: string;
  pods?: Array<{ name?: string; uid?: string; type?: "UNSPECIFIED" | "DRIVER" | "EXECUTOR" }>;
  cache_fingerprint?: string;
  create_time?: string;
  end_time?: string;
  state?: PipelineTaskState;
  status_metadata?: { message?: string; custom_properties?: Record<string, unknown> };
  state_history?: Array<{ update_time?: string; state?: PipelineTaskState; error?: RpcStatus }>;
  type?: PipelineTaskType;
  type_attributes?: { iteration_index?: string; iteration_count?: string; download_to_workspace?: boolean };
  parent_task_id?: string;
  child_tasks?: Array<{ task_id?: string; name?: string }>;
  inputs?: { parameters?: unknown[]; artifacts?: unknown[] };
  outputs?: { parameters?: unknown[]; artifacts?: unknown[] };
  scope_path?: string;
  lifecycle_message?: string;
}

/** A run of a pipeline, with its state and, when read with `get()`, its task details. */
export interface Run {
  experiment_id?: string;
  /** Always set by the server. */
  run_id: string;
  display_name?: string;
  storage_state?: StorageState;
  description?: string;
  /** Deprecated and ignored by the server. */
  pipeline_version_id?: string;
  pipeline_spec?: Record<string, unknown>;
  pipeline_version_reference?: PipelineVersionReference;
  runtime_config?: RuntimeConfig;
  service_account?: string;
  created_at?: string;
  scheduled_at?: string;
  /** `1970-01-01T00:00:00Z` until the run finishes. */
  finished_at?: string;
  state?: RuntimeState;
  error?: RpcStatus;
  run_details?: RunDetails;
  recurring_run_id?: string;
  state_history?: RuntimeStatus[];
  plugins_input?: Record<string, unknown>;
  plugins_output?: Record<string, unknown>;
  /** v2 only: the pipeline version the run used (read-only). */
  pipeline_reference?: PipelineVersionReference;
  /** v2 only. */
  task_count?: number;
  /** v2 only, filled with `view=FULL`. */
  tasks?: PipelineTask[];
}

/** The wire answer of `GET /runs` (the client turns it into a `Page<Run>`). */
export interface ListRunsResponse {
  runs?: Run[];
  total_size?: number;
  next_page_token?: string;
}

/** A cron trigger (robfig/cron v1.2.0 syntax: six fields, seconds first). */
export interface CronSchedule {
  start_time?: string;
  end_time?: string;
  /** robfig/cron v1.2.0 syntax: 6 fields, seconds first (a 5-field spec is read seconds-first too). */
  cron?: string;
}

/** An interval trigger: a run every `interval_second` seconds. */
export interface PeriodicSchedule {
  start_time?: string;
  end_time?: string;
  /** int64 as a string on output; number or string on input. */
  interval_second?: string | number;
}

/** The schedule of a recurring run: cron or periodic. */
export interface Trigger {
  cron_schedule?: CronSchedule;
  periodic_schedule?: PeriodicSchedule;
}

/** Whether a recurring run is enabled (as set on create). */
export type RecurringRunMode = "MODE_UNSPECIFIED" | "ENABLE" | "DISABLE";
/** Whether a recurring run is enabled (as reported). */
export type RecurringRunStatus = "STATUS_UNSPECIFIED" | "ENABLED" | "DISABLED";

/** A recurring run: a schedule that starts runs of a pipeline version. */
export interface RecurringRun {
  /** Always set by the server. */
  recurring_run_id: string;
  display_name?: string;
  description?: string;
  pipeline_version_id?: string;
  pipeline_spec?: Record<string, unknown>;
  pipeline_version_reference?: PipelineVersionReference;
  runtime_config?: RuntimeConfig;
  service_account?: string;
  /** int64 as a string on output (1..10). */
  max_concurrency?: string | number;
  trigger?: Trigger;
  mode?: RecurringRunMode;
  created_at?: string;
  updated_at?: string;
  status?: RecurringRunStatus;
  error?: RpcStatus;
  no_catchup?: boolean;
  namespace?: string;
  experiment_id?: string;
  plugins_input?: Record<string, unknown>;
}

/** Note the camelCase list key: the server's proto declares `recurringRuns`. */
export interface ListRecurringRunsResponse {
  recurringRuns?: RecurringRun[];
  total_size?: number;
  next_page_token?: string;
}

/** What happens to a recurring run's runs when it is deleted. */
export type DeletePropagationPolicy =
  | "DELETE_PROPAGATION_POLICY_UNSPECIFIED"
  | "FOREGROUND"
  | "BACKGROUND"
  | "ORPHAN";

/** Response of `GET /runs/{run_id}/nodes/{node_id}/artifacts/{artifact_name}:read`. */
export interface ReadArtifactResponse {
  /** Standard base64 of the artifact bytes. */
  data?: string;
}

// ---- v1beta1 wire shapes (converted by src/resources/v1/) ----

export type { V1ResourceReference, V1ResourceType };

export interface V1Experiment {
  id?: string;
  name?: string;
  description?: string;
  created_at?: string;
  resource_references?: V1ResourceReference[];
  storage_state?: "STORAGESTATE_UNSPECIFIED" | "STORAGESTATE_AVAILABLE" | "STORAGESTATE_ARCHIVED";
}

export interface V1PipelineSpec {
  pipeline_id?: string;
  pipeline_name?: string;
  workflow_manifest?: string;
  pipeline_manifest?: string;
  parameters?: Array<{ name?: string; value?: string }>;
  runtime_config?: RuntimeConfig;
}

export interface V1Run {
  id?: string;
  name?: string;
  storage_state?: "STORAGESTATE_AVAILABLE" | "STORAGESTATE_ARCHIVED";
  description?: string;
  pipeline_spec?: V1PipelineSpec;
  resource_references?: V1ResourceReference[];
  service_account?: string;
  created_at?: string;
  scheduled_at?: string;
  finished_at?: string;
  /** `Pending`, `Running`, `Succeeded`, `Skipped`, `Failed`, `Error`, `Terminating`, `Unknown`. */
  status?: string;
  error?: string;
  metrics?: unknown[];
}

export interface V1RunDetail {
  run?: V1Run;
  pipeline_runtime?: { pipeline_manifest?: string; workflow_manifest?: string };
}

export interface V1Job {
  id?: string;
  name?: string;
  description?: string;
  pipeline_spec?: V1PipelineSpec;
  resource_references?: V1ResourceReference[];
  service_account?: string;
  max_concurrency?: string | number;
  trigger?: Trigger;
  mode?: "UNKNOWN_MODE" | "ENABLED" | "DISABLED";
  created_at?: string;
  updated_at?: string;
  status?: string;
  error?: string;
  enabled?: boolean;
  no_catchup?: boolean;
}
