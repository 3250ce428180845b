/**
 * What each resource's list filters may name (FACTS §6): the keys and their value types, for the typed
 * builders of filters.ts and the check of a key before anything is sent.
 */
import type { RuntimeState, StorageState } from "../types/runs.js";

/** Value accepted for a timestamp key: a Date, an RFC 3339 string, or Unix seconds (sent as `long_value`). */
export type TimestampValue = Date | string | number;

/** The resources that can be listed with a filter. */
export type FilterResource = "pipelines" | "pipeline_versions" | "experiments" | "runs" | "recurring_runs";

/** Filterable keys of pipelines and their value types (FACTS §6). */
export interface PipelineFilterKeys {
  pipeline_id: string;
  id: string;
  name: string;
  display_name: string;
  created_at: TimestampValue;
  description: string;
  namespace: string;
  [tag: `tags.${string}`]: string;
}

/** Filterable keys of pipeline versions. */
export interface PipelineVersionFilterKeys {
  pipeline_version_id: string;
  id: string;
  name: string;
  display_name: string;
  created_at: TimestampValue;
  status: string;
  description: string;
  pipeline_spec: string;
  [tag: `tags.${string}`]: string;
}

/** Filterable keys of experiments. */
export interface ExperimentFilterKeys {
  experiment_id: string;
  id: string;
  display_name: string;
  name: string;
  created_at: TimestampValue;
  last_run_created_at: TimestampValue;
  description: string;
  namespace: string;
  storage_state: StorageState | (string & {});
}

/** Filterable keys of runs. */
export interface RunFilterKeys {
  run_id: string;
  id: string;
  display_name: string;
  name: string;
  created_at: TimestampValue;
  finished_at: TimestampValue;
  scheduled_at: TimestampValue;
  description: string;
  storage_state: StorageState | (string & {});
  /** v1 condition string (`Succeeded`, `Running`, ...). */
  status: string;
  namespace: string;
  experiment_id: string;
  state: RuntimeState;
  state_history: string;
  runtime_details: string;
  recurring_run_id: string;
}

/** Filterable keys of recurring runs. */
export interface RecurringRunFilterKeys {
  recurring_run_id: string;
  id: string;
  display_name: string;
  name: string;
  created_at: TimestampValue;
  updated_at: TimestampValue;
  description: string;
}

/** What a resource's filters may name: its keys, which of them are timestamps, whether tags. */
export interface ResourceKeyInfo {
  keys: readonly string[];
  timestamps: readonly string[];
  tags: boolean;
}

/** The filterable keys of each resource (FACTS §6). */
export const RESOURCE_KEYS: Record<FilterResource, ResourceKeyInfo> = {
  pipelines: {
    keys: ["pipeline_id", "id", "name", "display_name", "created_at", "description", "namespace"],
    timestamps: ["created_at"],
    tags: true,
  },
  pipeline_versions: {
    keys: [
      "pipeline_version_id",
      "id",
      "name",
      "display_name",
      "created_at",
      "status",
      "description",
      "pipeline_spec",
    ],
    timestamps: ["created_at"],
    tags: true,
  },
  experiments: {
    keys: [
      "experiment_id",
      "id",
      "display_name",
      "name",
      "created_at",
      "last_run_created_at",
      "description",
      "namespace",
      "storage_state",
    ],
    timestamps: ["created_at", "last_run_created_at"],
    tags: false,
  },
  runs: {
    keys: [
      "run_id",
      "id",
      "display_name",
      "name",
      "created_at",
      "finished_at",
      "scheduled_at",
      "description",
      "storage_state",
      "status",
      "namespace",
      "experiment_id",
      "state",
      "state_history",
      "runtime_details",
      "recurring_run_id",
    ],
    timestamps: ["created_at", "finished_at", "scheduled_at"],
    tags: false,
  },
  recurring_runs: {
    keys: ["recurring_run_id", "id", "display_name", "name", "created_at", "updated_at", "description"],
    timestamps: ["created_at", "updated_at"],
    tags: false,
  },
};

/** The filterable keys of a resource (without `tags.<key>`). */
export function filterableKeys(resource: FilterResource): readonly string[] {
  return RESOURCE_KEYS[resource].keys;
}
